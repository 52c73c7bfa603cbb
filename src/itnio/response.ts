import { toOneLine } from '../input/control-characters';
import { parseDecimal } from '../input/decimal';
import { isMapping } from '../input/mapping';
import { scanTopLevel } from './json-text';

export interface BalanceValues {
  balance: number;
  gift: number;
  credit: number;
}

export type ParsedBalanceResponse =
  | ({ kind: 'success' } & BalanceValues)
  | { kind: 'api_error'; status: string; reason: string }
  | { kind: 'invalid'; problem: string };

// Plain decimals only, as ITNIO writes them: "1e3" is not 1000 here, and "1e-400" not 0.
const STATUS_RE = /^-?\d{1,6}$/;
const MAX_REASON_LENGTH = 200;
/** The fields whose value must be unambiguous. */
const FIELDS: readonly string[] = ['status', 'balance', 'gift', 'credit'];

/**
 * A decimal as written ("99.990000", or a JSON number's text); undefined for anything else,
 * and for one too large (Infinity) or too small (a non-zero figure that reads as 0) for a double.
 */
function toDecimal(value: unknown, written: string | undefined): number | undefined {
  const text = typeof value === 'number' ? written : value;
  if (typeof text !== 'string') return undefined;
  const trimmed = text.trim();
  const parsed = parseDecimal(trimmed);
  if (parsed === undefined || (parsed === 0 && /[1-9]/.test(trimmed))) return undefined;
  return parsed;
}

function toStatus(value: unknown, written: string | undefined): string | undefined {
  const text = typeof value === 'number' ? written : value;
  if (typeof text !== 'string') return undefined;
  const trimmed = text.trim();
  if (!STATUS_RE.test(trimmed)) return undefined;
  // Normalise "-01" and "+0" style spellings so one code is one label value.
  return String(Number(trimmed));
}

// Bidi marks, embeddings, overrides and isolates reorder what a reader sees ("invoice\u202Efdp.exe"
// shows as "invoiceexe.pdf"); shown escaped, so that the text is read as it was sent.
const BIDI_RE = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const LONE_SURROGATE_RE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Printable, single-line, bounded: the reason is vendor free text that ends up in logs and `--check`. */
export function cleanReason(value: unknown): string {
  if (typeof value !== 'string') return '';
  const clean = toOneLine(value.replace(LONE_SURROGATE_RE, '\ufffd'))
    .replace(BIDI_RE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
    .trim();
  // Counted in characters, so a cut never splits a surrogate pair.
  const characters = Array.from(clean);
  return characters.length > MAX_REASON_LENGTH ? `${characters.slice(0, MAX_REASON_LENGTH).join('')}…` : clean;
}

/**
 * Turns a getBalance response body into a typed result. Pure, and total: it never
 * throws, and a success always carries three finite numbers.
 */
export function parseBalanceResponse(body: string): ParsedBalanceResponse {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    const start = body.trimStart().slice(0, 1);
    return {
      kind: 'invalid',
      problem:
        start === '<' ? 'body is HTML, not JSON' : body.length === 0 ? 'body is empty' : 'body is not valid JSON',
    };
  }
  if (!isMapping(json)) return { kind: 'invalid', problem: 'body is not a JSON object' };
  const text = scanTopLevel(body);
  if (text.duplicateKey !== undefined && FIELDS.includes(text.duplicateKey)) {
    return { kind: 'invalid', problem: `field "${text.duplicateKey}" appears twice (ambiguous)` };
  }
  const status = toStatus(json.status, text.numbers.get('status'));
  if (status === undefined) return { kind: 'invalid', problem: 'field "status" is missing or not an integer' };
  if (status !== '0') return { kind: 'api_error', status, reason: cleanReason(json.reason) };

  const values: Partial<BalanceValues> = {};
  for (const field of ['balance', 'gift', 'credit'] as const) {
    if (!(field in json)) return { kind: 'invalid', problem: `field "${field}" is missing` };
    const parsed = toDecimal(json[field], text.numbers.get(field));
    if (parsed === undefined) return { kind: 'invalid', problem: `field "${field}" is not a decimal number` };
    values[field] = parsed;
  }
  return { kind: 'success', ...(values as BalanceValues) };
}
