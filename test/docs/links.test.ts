/**
 * Every relative link and anchor in README.md and docs/ resolves, and so does every runbook_url
 * of the alert rules and every link from the Grafana dashboard into this repository.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import {
  checkLink,
  githubSlug,
  headingAnchors,
  markdownLinks,
  REPO_URL_PREFIX,
  type RepoFiles,
} from './markdown-links';

const root = path.resolve(__dirname, '../..');
const read = (repoPath: string): string => readFileSync(path.join(root, repoPath), 'utf8');

const anchorCache = new Map<string, Set<string>>();
const repo: RepoFiles = {
  exists: (repoPath) => existsSync(path.join(root, repoPath)),
  anchors: (repoPath) => {
    let anchors = anchorCache.get(repoPath);
    if (!anchors) anchorCache.set(repoPath, (anchors = headingAnchors(read(repoPath))));
    return anchors;
  },
};

const docsPages = readdirSync(path.join(root, 'docs'))
  .filter((name) => name.endsWith('.md'))
  .map((name) => `docs/${name}`);
const markdownFiles = ['README.md', ...docsPages, 'config/README.md', 'secrets/README.md'];

interface Found {
  file: string;
  line: number;
  target: string;
  resolved: ReturnType<typeof checkLink>;
}
const found: Found[] = markdownFiles.flatMap((file) =>
  markdownLinks(read(file)).map(({ target, line }) => ({
    file,
    line,
    target,
    resolved: checkLink(file, target, repo),
  })),
);
const problems = (links: Found[]): string[] =>
  links.flatMap((l) =>
    l.resolved.kind === 'broken' ? [`${l.file}:${l.line}: (${l.target}): ${l.resolved.problem}`] : [],
  );
const checked = (links: Found[]) => links.filter((l) => l.resolved.kind === 'checked');
const withAnchor = (links: Found[]) =>
  links.filter((l) => l.resolved.kind === 'checked' && l.resolved.anchor !== undefined);

describe('links in README.md and docs/', () => {
  test('every relative link points at a file that exists, and every anchor at a heading of it', () => {
    expect(problems(found)).toEqual([]);
  });

  test('the check is not vacuous: it found and resolved plenty of links and anchors', () => {
    const inReadme = found.filter((l) => l.file === 'README.md');
    const inDocs = found.filter((l) => l.file.startsWith('docs/'));
    expect(docsPages.length).toBeGreaterThanOrEqual(9);
    expect(checked(inReadme).length).toBeGreaterThanOrEqual(20);
    expect(withAnchor(inReadme).length).toBeGreaterThanOrEqual(10);
    expect(checked(inDocs).length).toBeGreaterThanOrEqual(40);
    expect(withAnchor(inDocs).length).toBeGreaterThanOrEqual(25);
    expect(withAnchor(found).filter((l) => l.target.startsWith('#')).length).toBeGreaterThanOrEqual(10);
  });

  test('README links every page in docs/ (the front door)', () => {
    const linkedFromReadme = new Set(
      checked(found.filter((l) => l.file === 'README.md')).map((l) => (l.resolved as { path: string }).path),
    );
    expect(docsPages.filter((page) => !linkedFromReadme.has(page))).toEqual([]);
  });

  test('every screenshot in docs/ is shown from the docs', () => {
    const screenshots = readdirSync(path.join(root, 'docs'))
      .filter((name) => name.endsWith('.png'))
      .map((name) => `docs/${name}`);
    const linked = new Set(checked(found).map((l) => (l.resolved as { path: string }).path));
    expect(screenshots.length).toBeGreaterThanOrEqual(3);
    expect(screenshots.filter((png) => !linked.has(png))).toEqual([]);
  });
});

describe('links from the alert rules and the dashboard', () => {
  interface Rule {
    alert?: string;
    annotations?: Record<string, string>;
  }
  const rules = (parse(read('prometheus/rules/itniotech.rules.yml')) as { groups: Array<{ rules: Rule[] }> }).groups
    .flatMap((group) => group.rules)
    .filter((rule) => rule.alert !== undefined);

  test('every alert has a runbook_url that points at the heading named after it', () => {
    expect(rules.length).toBeGreaterThanOrEqual(6);
    const report = rules.map((rule) => {
      const url = rule.annotations?.runbook_url ?? '';
      const resolved = url.startsWith(REPO_URL_PREFIX)
        ? checkLink('prometheus/rules/itniotech.rules.yml', url, repo)
        : undefined;
      return {
        alert: rule.alert,
        url,
        problem:
          resolved === undefined
            ? `not under ${REPO_URL_PREFIX}`
            : resolved.kind === 'broken'
              ? resolved.problem
              : undefined,
        ownHeading: resolved?.kind === 'checked' && resolved.anchor === githubSlug(rule.alert!),
      };
    });
    expect(report).toEqual(
      rules.map((rule) => ({
        alert: rule.alert,
        url: rule.annotations?.runbook_url ?? '',
        problem: undefined,
        ownHeading: true,
      })),
    );
  });

  test('every link from the Grafana dashboard into this repository resolves', () => {
    const urls = [...read('grafana/dashboards/itniotech.json').matchAll(/"(https:\/\/github\.com\/[^"]*)"/g)]
      .map((match) => match[1]!)
      .filter((url) => url.startsWith(REPO_URL_PREFIX));
    expect(urls.length).toBeGreaterThanOrEqual(1);
    const broken = urls.flatMap((url) => {
      const resolved = checkLink('grafana/dashboards/itniotech.json', url, repo);
      return resolved.kind === 'broken' ? [`${url}: ${resolved.problem}`] : [];
    });
    expect(broken).toEqual([]);
  });
});

describe('githubSlug', () => {
  test.each([
    ['ItniotechBalanceLow', 'itniotechbalancelow'],
    ['JSON API: GET /api/v1/status', 'json-api-get-apiv1status'],
    ['What made /metrics fast (and stay correct)', 'what-made-metrics-fast-and-stay-correct'],
    ['Load: 200 concurrent scrapers while every poll fails', 'load-200-concurrent-scrapers-while-every-poll-fails'],
    ['snake_case and kebab-case', 'snake_case-and-kebab-case'],
    ['Two  spaces', 'two--spaces'],
    ['Über “quotes” — and dashes', 'über-quotes--and-dashes'],
  ])('%s → %s', (heading, slug) => {
    expect(githubSlug(heading)).toBe(slug);
  });
});

describe('headingAnchors', () => {
  test('slugs rendered text, numbers repeated headings and ignores code blocks', () => {
    const markdown = [
      '# Title',
      '## `--check` and [links](x.md)',
      '## Runbooks',
      '### Runbooks',
      '```sh',
      '# Runbooks',
      '```',
      '    # indented code',
      '',
      '#### Runbooks ##',
      '#not-a-heading',
    ].join('\n');
    expect([...headingAnchors(markdown)]).toEqual([
      'title',
      '--check-and-links',
      'runbooks',
      'runbooks-1',
      'runbooks-2',
    ]);
  });
});

describe('markdownLinks', () => {
  test('finds links, images, references and HTML, with their lines; skips code', () => {
    const markdown = [
      'See [the page](docs/a.md#part) and ![shot](b.png "title").', // 1
      'Here: [anchor](#local), `[not](code.md)`, [external](https://example.com).', // 2
      '', // 3
      '```', // 4
      '[fenced](fenced.md)', // 5
      '```', // 6
      '', // 7
      '    [indented](indented.md)', // 8
      '', // 9
      'A [wrapped', // 10
      'link](c.md) and <img src="d.png" alt="d">.', // 11
      '', // 12
      '[ref]: e.md', // 13
    ].join('\n');
    expect(markdownLinks(markdown)).toEqual([
      { target: 'docs/a.md#part', line: 1 },
      { target: 'b.png', line: 1 },
      { target: '#local', line: 2 },
      { target: 'https://example.com', line: 2 },
      { target: 'c.md', line: 10 },
      { target: 'd.png', line: 11 },
      { target: 'e.md', line: 13 },
    ]);
  });
});

describe('checkLink', () => {
  const files: Record<string, string> = {
    'README.md': '# Project\n## Usage\n',
    'docs/guide.md': '# Guide\n## Step one\n',
    'docs/shot.png': '',
    'src/main.ts': '',
  };
  const fake: RepoFiles = {
    exists: (p) => p in files || Object.keys(files).some((f) => f.startsWith(`${p}/`)),
    anchors: (p) => headingAnchors(files[p] ?? ''),
  };

  test.each([
    ['docs/guide.md', 'shot.png', { kind: 'checked', path: 'docs/shot.png' }],
    ['docs/guide.md', '../README.md#usage', { kind: 'checked', path: 'README.md', anchor: 'usage' }],
    ['docs/guide.md', '#step-one', { kind: 'checked', path: 'docs/guide.md', anchor: 'step-one' }],
    ['README.md', 'docs/', { kind: 'checked', path: 'docs' }],
    ['README.md', `${REPO_URL_PREFIX}docs/guide.md#guide`, { kind: 'checked', path: 'docs/guide.md', anchor: 'guide' }],
    ['README.md', 'https://example.com/x.md#nowhere', { kind: 'external' }],
    ['README.md', 'mailto:ops@example.com', { kind: 'external' }],
    ['docs/guide.md', 'missing.md', { kind: 'broken', problem: 'docs/missing.md does not exist' }],
    [
      'docs/guide.md',
      'guide.md#step-two',
      { kind: 'broken', problem: 'docs/guide.md has no heading with the anchor #step-two' },
    ],
    ['README.md', '#nowhere', { kind: 'broken', problem: 'README.md has no heading with the anchor #nowhere' }],
    ['README.md', 'src/main.ts#L3', { kind: 'broken', problem: 'anchor #L3 into src/main.ts, which is not Markdown' }],
    ['README.md', '../outside.md', { kind: 'broken', problem: '../outside.md is outside the repository' }],
    [
      'README.md',
      `${REPO_URL_PREFIX}README.md#gone`,
      { kind: 'broken', problem: 'README.md has no heading with the anchor #gone' },
    ],
  ])('from %s: %s', (from, target, expected) => {
    expect(checkLink(from, target, fake)).toEqual(expected);
  });
});
