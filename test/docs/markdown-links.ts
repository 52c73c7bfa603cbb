import { posix } from 'node:path';

/** Where the repository's own files are published; links under it are checked like relative ones. */
export const REPO_URL_PREFIX = 'https://github.com/itniotech/itniotech-exporter/blob/main/';

/**
 * The anchor GitHub gives a heading (github-slugger): lowercase; letters, marks, digits, `-` and
 * `_` kept, every other character dropped; each space becomes `-`.
 */
export function githubSlug(headingText: string): string {
  return headingText
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** A heading's text as rendered: code spans unwrapped, links reduced to their text, tags dropped. */
function renderedText(markdownText: string): string {
  return markdownText
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]+>/g, '')
    .replace(/`+([^`]*)`+/g, '$1')
    .trim();
}

interface SourceLine {
  text: string;
  number: number;
}

/** The lines that are Markdown rather than code: fenced and indented code blocks are left out. */
function proseLines(markdown: string): SourceLine[] {
  const lines = markdown.split('\n');
  const prose: SourceLine[] = [];
  let fence: string | undefined;
  let previousBlankOrCode = true;
  lines.forEach((text, index) => {
    const fenceMatch = /^ {0,3}(`{3,}|~{3,})/.exec(text);
    if (fence !== undefined) {
      if (
        fenceMatch &&
        fenceMatch[1]![0] === fence[0] &&
        fenceMatch[1]!.length >= fence.length &&
        text.trim() === fenceMatch[1]
      ) {
        fence = undefined;
        previousBlankOrCode = true;
      }
      return;
    }
    if (fenceMatch) {
      fence = fenceMatch[1]!;
      return;
    }
    const blank = text.trim() === '';
    const indentedCode = !blank && previousBlankOrCode && /^( {4}|\t)/.test(text);
    previousBlankOrCode = blank || indentedCode;
    if (!indentedCode) prose.push({ text, number: index + 1 });
  });
  return prose;
}

/** Every anchor the headings of a Markdown file get on GitHub; repeated headings get -1, -2, … */
export function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  for (const line of proseLines(markdown)) {
    const heading = /^ {0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$/.exec(line.text);
    if (!heading) continue;
    const base = githubSlug(renderedText(heading[1]!));
    let anchor = base;
    for (let n = 1; anchors.has(anchor); n++) anchor = `${base}-${n}`;
    anchors.add(anchor);
  }
  return anchors;
}

export interface MarkdownLink {
  target: string;
  line: number;
}

/** Runs of consecutive non-blank prose lines, joined, so that a link whose text wraps is still one link. */
function proseBlocks(markdown: string): SourceLine[] {
  const blocks: SourceLine[] = [];
  let current: SourceLine | undefined;
  let lastNumber = -1;
  for (const line of proseLines(markdown)) {
    if (line.text.trim() === '') {
      current = undefined;
    } else if (current && line.number === lastNumber + 1) {
      current.text += `\n${line.text}`;
    } else {
      current = { text: line.text, number: line.number };
      blocks.push(current);
    }
    lastNumber = line.number;
  }
  return blocks;
}

/** Link and image targets: `[text](target)`, `![alt](target)`, `[label]: target`, `<img src>`, `<a href>`. */
export function markdownLinks(markdown: string): MarkdownLink[] {
  const links: MarkdownLink[] = [];
  for (const block of proseBlocks(markdown)) {
    // A code span is text, not Markdown: `[x](y)` inside backticks is no link.
    const text = block.text.replace(/(`+)[^`]*?\1/g, (span) => span.replace(/[^\n]/g, ' '));
    const patterns = [
      /!?\[[^\]]*\]\(\s*<?([^)\s>]*)>?(?:\s+"[^"]*")?\s*\)/g,
      /^ {0,3}\[[^\]]+\]:\s*<?([^\s>]+)>?/gm,
      /<(?:img|a)\b[^>]*?\s(?:src|href)="([^"]*)"/g,
    ];
    for (const pattern of patterns) {
      for (const match of text.matchAll(pattern)) {
        const line = block.number + (text.slice(0, match.index).match(/\n/g)?.length ?? 0);
        links.push({ target: match[1]!, line });
      }
    }
  }
  return links;
}

/** What a link check needs of the repository: which files exist, and the anchors of a Markdown file. */
export interface RepoFiles {
  exists(repoPath: string): boolean;
  anchors(repoPath: string): Set<string>;
}

export type LinkCheck =
  { kind: 'external' } | { kind: 'checked'; path: string; anchor?: string } | { kind: 'broken'; problem: string };

/**
 * Resolves one link target found in `fromFile` (a repository path such as `docs/metrics.md`)
 * and checks that its file exists and, when it has one, that its anchor names a heading there.
 */
export function checkLink(fromFile: string, target: string, repo: RepoFiles): LinkCheck {
  let relative: string;
  let fromDir = posix.dirname(fromFile);
  if (target.startsWith(REPO_URL_PREFIX)) {
    relative = target.slice(REPO_URL_PREFIX.length);
    fromDir = '.';
  } else if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//')) {
    return { kind: 'external' };
  } else {
    relative = target;
  }
  const hashAt = relative.indexOf('#');
  const pathPart = (hashAt < 0 ? relative : relative.slice(0, hashAt)).replace(/\?.*$/, '');
  const anchor = hashAt < 0 ? undefined : decodeURIComponent(relative.slice(hashAt + 1));
  if (pathPart === '' && anchor === undefined) return { kind: 'broken', problem: 'empty link' };
  const path =
    pathPart === '' ? fromFile : posix.normalize(posix.join(fromDir, decodeURIComponent(pathPart))).replace(/\/$/, '');
  if (path === '..' || path.startsWith('../') || path.startsWith('/'))
    return { kind: 'broken', problem: `${path} is outside the repository` };
  if (!repo.exists(path)) return { kind: 'broken', problem: `${path} does not exist` };
  if (anchor === undefined) return { kind: 'checked', path };
  if (anchor === '') return { kind: 'broken', problem: `empty anchor into ${path}` };
  if (!path.endsWith('.md'))
    return { kind: 'broken', problem: `anchor #${anchor} into ${path}, which is not Markdown` };
  if (!repo.anchors(path).has(anchor))
    return { kind: 'broken', problem: `${path} has no heading with the anchor #${anchor}` };
  return { kind: 'checked', path, anchor };
}
