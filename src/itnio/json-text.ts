/**
 * What JSON.parse hides about a body's top-level object: a key given twice (JSON.parse keeps the
 * last), and how each number was written ("1e3" and "1000" parse alike; a long 0.000…1 parses
 * as 0). Scans the text once; a body JSON.parse refuses never gets here.
 */
export interface TopLevelText {
  /** The first top-level key that appears more than once. */
  duplicateKey?: string;
  /** Each top-level key whose value is a JSON number, with that number as written. */
  numbers: Map<string, string>;
}

const COLON_RE = /\s*:/y;
const NUMBER_RE = /-?[0-9][0-9.eE+-]*/y;

/** The index of the quote that closes the string opening at `start`. */
function closingQuote(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '"') return i;
  }
  return text.length;
}

export function scanTopLevel(body: string): TopLevelText {
  const seen = new Set<string>();
  const numbers = new Map<string, string>();
  let duplicateKey: string | undefined;
  let key: string | undefined;
  let depth = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body[i] as string;
    if (c === '"') {
      const end = closingQuote(body, i);
      COLON_RE.lastIndex = end + 1;
      if (depth === 1 && COLON_RE.test(body)) {
        key = JSON.parse(body.slice(i, end + 1)) as string;
        if (seen.has(key)) duplicateKey ??= key;
        seen.add(key);
      }
      i = end;
    } else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
    else if (depth === 1 && key !== undefined && (c === '-' || (c >= '0' && c <= '9'))) {
      NUMBER_RE.lastIndex = i;
      const token = NUMBER_RE.exec(body)?.[0] ?? c;
      numbers.set(key, token);
      i += token.length - 1;
    }
  }
  return { ...(duplicateKey !== undefined ? { duplicateKey } : {}), numbers };
}
