import { isMapping } from '../input/mapping';
import { cleanReason } from './response';

/** ITNIO's number states: 3 in use, 4 expired, 5 disabled; anything else is `other`. */
export const NUMBER_STATES = ['in_use', 'expired', 'disabled', 'other'] as const;
export type NumberState = (typeof NUMBER_STATES)[number];

const STATE_CODES: Record<string, NumberState> = { '3': 'in_use', '4': 'expired', '5': 'disabled' };

/** One rented number as monitoring needs it. Text fields are cleaned vendor text; absent is ''. */
export interface RentedNumber {
  number: string;
  country: string;
  type: string;
  state: NumberState;
  /** The due date as sent (`yyyy-MM-dd`), or undefined when it is missing or not a date. */
  dueDate?: string;
  /** The due moment, Unix seconds: 00:00 of the due date at the configured UTC offset. */
  dueAt?: number;
}

interface NumbersPage {
  total: number;
  pages: number;
  current: number;
  numbers: RentedNumber[];
  /** Records that could not be read (no number), with why: kept out of every count. */
  skipped: string[];
}

export type ParsedNumbersResponse =
  | ({ kind: 'page' } & NumbersPage)
  | { kind: 'api_error'; status: string; reason: string }
  | { kind: 'invalid'; problem: string };

export interface NumbersParseOptions {
  /** Minutes east of UTC that a due date's 00:00 is read in; ITNIO writes its times in UTC+8 (480). */
  dueDateUtcOffsetMinutes: number;
}

const STATUS_RE = /^-?\d{1,6}$/;

/** The status as a string ("0", "-32"), sent as a string or a whole JSON number; spellings such as "-01" normalised. */
function toStatus(value: unknown): string | undefined {
  const text = typeof value === 'number' && Number.isInteger(value) ? String(value) : value;
  if (typeof text !== 'string' || !STATUS_RE.test(text.trim())) return undefined;
  return String(Number(text.trim()));
}

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const COUNT_RE = /^\d{1,9}$/;
const MAX_LABEL_LENGTH = 64;

/** A non-negative whole number, sent as a JSON number (or, leniently, as digits in a string). */
function toCount(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  if (typeof value === 'string' && COUNT_RE.test(value.trim())) return Number(value.trim());
  return undefined;
}

/** `yyyy-MM-dd` to Unix seconds at 00:00 of that date at the offset; undefined for anything else. */
export function dueMoment(dueDate: unknown, utcOffsetMinutes: number): number | undefined {
  if (typeof dueDate !== 'string') return undefined;
  const match = DATE_RE.exec(dueDate.trim());
  if (!match) return undefined;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const midnightUtc = Date.UTC(year, month - 1, day);
  const date = new Date(midnightUtc);
  // Date.UTC rolls 2024-02-30 over into March: such a date is not a date.
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return undefined;
  return midnightUtc / 1000 - utcOffsetMinutes * 60;
}

function stateOf(value: unknown): NumberState {
  const code = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : '';
  return STATE_CODES[code] ?? 'other';
}

/** Short, single-line label text; '' for null or a non-string. */
function labelText(value: unknown): string {
  const clean = cleanReason(value);
  return clean.length > MAX_LABEL_LENGTH ? clean.slice(0, MAX_LABEL_LENGTH) : clean;
}

function parseRecord(record: unknown, index: number, options: NumbersParseOptions): RentedNumber | string {
  if (!isMapping(record)) return `records[${index}] is not an object`;
  const number = typeof record.number === 'string' ? record.number.trim() : '';
  if (!/^\+?[0-9]{3,20}$/.test(number)) return `records[${index}].number is missing or not digits`;
  const dueAt = dueMoment(record.dueDate, options.dueDateUtcOffsetMinutes);
  return {
    number,
    country: labelText(record.country),
    type: labelText(record.type),
    state: stateOf(record.state),
    ...(dueAt !== undefined ? { dueDate: (record.dueDate as string).trim(), dueAt } : {}),
  };
}

function parsePaging(data: Record<string, unknown>): Omit<NumbersPage, 'numbers' | 'skipped'> | string {
  const total = toCount(data.total);
  const pages = toCount(data.pages);
  const current = toCount(data.current);
  if (total === undefined) return 'field "data.total" is missing or not a whole number';
  if (pages === undefined) return 'field "data.pages" is missing or not a whole number';
  if (current === undefined) return 'field "data.current" is missing or not a whole number';
  return { total, pages, current };
}

/** The JSON of a number/queryPage answer to one typed page. Pure and total: it never throws. */
export function parseNumbersResponse(json: unknown, options: NumbersParseOptions): ParsedNumbersResponse {
  if (!isMapping(json)) return { kind: 'invalid', problem: 'body is not a JSON object' };
  const status = toStatus(json.status);
  if (status === undefined) return { kind: 'invalid', problem: 'field "status" is missing or not an integer' };
  if (status !== '0') return { kind: 'api_error', status, reason: cleanReason(json.reason) };
  if (!isMapping(json.data)) return { kind: 'invalid', problem: 'field "data" is missing or not an object' };
  const paging = parsePaging(json.data);
  if (typeof paging === 'string') return { kind: 'invalid', problem: paging };
  const records = json.data.records ?? (paging.total === 0 ? [] : undefined);
  if (!Array.isArray(records)) return { kind: 'invalid', problem: 'field "data.records" is missing or not a list' };
  const numbers: RentedNumber[] = [];
  const skipped: string[] = [];
  records.forEach((record, index) => {
    const parsed = parseRecord(record, index, options);
    if (typeof parsed === 'string') skipped.push(parsed);
    else numbers.push(parsed);
  });
  return { kind: 'page', ...paging, numbers, skipped };
}

/** The body text of an answer to JSON, or why it is not JSON. */
export function parseJsonBody(body: string): { ok: true; json: unknown } | { ok: false; problem: string } {
  try {
    return { ok: true, json: JSON.parse(body) as unknown };
  } catch {
    const start = body.trimStart().slice(0, 1);
    const problem =
      start === '<' ? 'body is HTML, not JSON' : body.length === 0 ? 'body is empty' : 'body is not valid JSON';
    return { ok: false, problem };
  }
}
