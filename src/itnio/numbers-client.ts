import { httpStatusFailure, parseDateHeader, type BalanceClientOptions } from './client';
import type { FailureReason } from './failures';
import { scanTopLevel } from './json-text';
import {
  parseJsonBody,
  parseNumbersResponse,
  type NumbersParseOptions,
  type ParsedNumbersResponse,
  type RentedNumber,
} from './numbers-response';
import { createSignedTransport, type ItnioCredentials, type TransportResult } from './transport';

/**
 * ITNIO's rented numbers: `POST {root}/number/queryPage`, signed like getBalance, paged until
 * `current >= pages`. Uses the same timeouts, TLS, proxy and redirect rules as the balance client.
 */

/** What one numbers poll (all its pages) ended as; `requests` is how many POSTs it sent. */
export type NumbersOutcome =
  | { kind: 'success'; numbers: RentedNumber[]; total: number; skipped: string[]; requests: number }
  | { kind: 'api_error'; status: string; reason: string; serverDate?: Date; page: number; requests: number }
  | {
      kind: 'failure';
      reason: FailureReason;
      detail: string;
      requests: number;
      /** HTTP 429: the key backs off as on -15, at least `retryAfterMs` when given. */
      rateLimited?: true;
      retryAfterMs?: number;
    }
  | { kind: 'aborted'; requests: number };

export interface NumbersClient {
  fetchNumbers(credentials: ItnioCredentials, signal?: AbortSignal): Promise<NumbersOutcome>;
}

export interface NumbersClientOptions extends BalanceClientOptions, NumbersParseOptions {
  /** Numbers asked for per page, 1-100 (ITNIO's limit). */
  pageSize?: number;
  /** A listing longer than this many pages is refused as invalid rather than paged for ever. */
  maxPages?: number;
  /** Times the whole listing is read again when its total changes between pages. */
  maxRestarts?: number;
}

/** A page of 100 records is ~40 kB of JSON. */
const DEFAULT_MAX_RESPONSE_BYTES = 1024 * 1024;

/**
 * The API root number/queryPage hangs off, from the getBalance base URL: a trailing `/sms` is
 * dropped (`https://api.itniotech.com/sms` → `https://api.itniotech.com`); any other base, such
 * as a white-label twin's `/v3` root, is the root itself.
 */
export function numbersRootUrl(baseUrl: string): string {
  return baseUrl.replace(/\/+$/, '').replace(/\/sms$/i, '');
}

type PageAnswer =
  | { kind: 'answer'; parsed: ParsedNumbersResponse; serverDate?: Date }
  | Exclude<NumbersOutcome, { kind: 'success' | 'api_error' }>
  | { kind: 'failure'; reason: FailureReason; detail: string; rateLimited?: true; retryAfterMs?: number }
  | { kind: 'aborted' };

/** Keys whose second appearance makes a body ambiguous rather than merely odd. */
const FIELDS = ['status', 'data'];

/** One page's answer as the paging loop sees it: parsed, or the failure its HTTP status or body means. */
function pageAnswer(result: TransportResult, nowMs: number, options: NumbersParseOptions): PageAnswer {
  if (result.kind !== 'answer') return result;
  const failure = httpStatusFailure(result, nowMs);
  if (failure) return failure;
  const body = parseJsonBody(result.body);
  if (!body.ok) return { kind: 'failure', reason: 'invalid_response', detail: body.problem };
  const duplicate = scanTopLevel(result.body).duplicateKey;
  if (duplicate !== undefined && FIELDS.includes(duplicate)) {
    return { kind: 'failure', reason: 'invalid_response', detail: `field "${duplicate}" appears twice (ambiguous)` };
  }
  const serverDate = parseDateHeader(result.headers.date);
  return { kind: 'answer', parsed: parseNumbersResponse(body.json, options), ...(serverDate ? { serverDate } : {}) };
}

export function createNumbersClient(options: NumbersClientOptions): NumbersClient {
  const now = options.now ?? Date.now;
  const transport = createSignedTransport({
    ...options,
    maxResponseBytes: options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
  });
  const postPage: PostPage = async (account, current, signal) => {
    const credentials = { ...account, baseUrl: numbersRootUrl(account.baseUrl) };
    const body = { current, size: options.pageSize ?? 100, params: {} };
    const result = await transport.send({ credentials, path: 'number/queryPage', method: 'POST', body }, signal);
    return pageAnswer(result, now(), options);
  };
  return { fetchNumbers: (account, signal) => fetchAllPages(postPage, account, options, signal) };
}

type PostPage = (account: ItnioCredentials, current: number, signal?: AbortSignal) => Promise<PageAnswer>;

/** One read of the listing, page by page; 'changed' when the total moved between pages. */
async function readListing(
  postPage: PostPage,
  account: ItnioCredentials,
  maxPages: number,
  counter: { requests: number },
  signal?: AbortSignal,
): Promise<NumbersOutcome | 'changed'> {
  // Keyed by number: a number that moves to the next page while we read is not counted twice.
  const numbers = new Map<string, RentedNumber>();
  const skipped: string[] = [];
  let total: number | undefined;
  for (let current = 1; ; current++) {
    counter.requests++;
    const answer = await postPage(account, current, signal);
    const requests = counter.requests;
    if (answer.kind === 'aborted') return { kind: 'aborted', requests };
    if (answer.kind === 'failure') return { ...answer, detail: `page ${current}: ${answer.detail}`, requests };
    const page = answer.parsed;
    if (page.kind === 'api_error') {
      const serverDate = answer.serverDate ? { serverDate: answer.serverDate } : {};
      return { kind: 'api_error', status: page.status, reason: page.reason, ...serverDate, page: current, requests };
    }
    if (page.kind === 'invalid')
      return { kind: 'failure', reason: 'invalid_response', detail: `page ${current}: ${page.problem}`, requests };
    if (total !== undefined && page.total !== total) return 'changed';
    total = page.total;
    for (const number of page.numbers) if (!numbers.has(number.number)) numbers.set(number.number, number);
    skipped.push(...page.skipped.map((s) => `page ${current}: ${s}`));
    // Our own page counter, not the echoed one: an echo stuck at 1 must not page for ever.
    if (current >= page.pages || page.numbers.length + page.skipped.length === 0) break;
    if (current >= maxPages) {
      const detail = `the listing claims ${page.pages} pages; more than ${maxPages} are not read`;
      return { kind: 'failure', reason: 'invalid_response', detail, requests };
    }
  }
  return { kind: 'success', numbers: [...numbers.values()], total: total ?? 0, skipped, requests: counter.requests };
}

async function fetchAllPages(
  postPage: PostPage,
  account: ItnioCredentials,
  options: NumbersClientOptions,
  signal?: AbortSignal,
): Promise<NumbersOutcome> {
  const counter = { requests: 0 };
  const attempts = 1 + (options.maxRestarts ?? 2);
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const outcome = await readListing(postPage, account, options.maxPages ?? 100, counter, signal);
    if (outcome !== 'changed') return outcome;
  }
  // Reading it once more could lose a number that moved onto a page already read: no fake listing.
  const detail = `the list of numbers changed while it was paged, ${attempts} times in a row`;
  return { kind: 'failure', reason: 'invalid_response', detail, requests: counter.requests };
}
