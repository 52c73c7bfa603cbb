import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { rootCertificates } from 'node:tls';
import axios, { AxiosError, type AxiosInstance } from 'axios';
import {
  CONNECT_ERROR_CODES,
  networkDetail,
  parseDateHeader,
  undecodableBody,
  type BalanceClientOptions,
  type ItnioCredentials,
} from './client';
import type { FailureReason } from './failures';
import {
  parseJsonBody,
  parseNumbersResponse,
  type NumbersParseOptions,
  type ParsedNumbersResponse,
  type RentedNumber,
} from './numbers-response';
import { proxyFor, proxyForDisplay } from './proxy';
import { buildSignedHeaders, joinUrl } from './signing';

/**
 * ITNIO's rented numbers: `POST {root}/number/queryPage`, signed like getBalance, paged until
 * `current >= pages`. Uses the same timeouts, TLS, proxy and redirect rules as the balance client.
 */

/** What one numbers poll (all its pages) ended as; `requests` is how many POSTs it sent. */
export type NumbersOutcome =
  | { kind: 'success'; numbers: RentedNumber[]; total: number; skipped: string[]; requests: number }
  | { kind: 'api_error'; status: string; reason: string; serverDate?: Date; page: number; requests: number }
  | { kind: 'failure'; reason: FailureReason; detail: string; requests: number }
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
  | { kind: 'failure'; reason: FailureReason; detail: string }
  | { kind: 'aborted' };

function createAxios(options: BalanceClientOptions, maxBytes: number, ca: string[] | undefined): AxiosInstance {
  const lookup = options.lookup ? { lookup: options.lookup } : {};
  return axios.create({
    timeout: options.timeoutMs,
    // The signed headers are valid for the whole timestamp window: never replay them elsewhere.
    maxRedirects: 0,
    maxContentLength: maxBytes,
    maxBodyLength: maxBytes,
    responseType: 'text',
    transformResponse: [(data: unknown) => data],
    validateStatus: () => true,
    proxy: false,
    httpAgent: new http.Agent({ keepAlive: true, maxSockets: 64, ...lookup }),
    httpsAgent: new https.Agent({
      keepAlive: true,
      maxSockets: 64,
      ...lookup,
      rejectUnauthorized: true,
      ...(ca ? { ca } : {}),
    }),
  });
}

/** An error of one POST as a failure reason; the detail never carries the request's headers. */
function classifyError(error: unknown, proxyUrl: string | undefined, maxBytes: number): PageAnswer {
  if (error instanceof AxiosError) {
    if (error.code === 'ECONNABORTED' || error.code === 'ETIMEDOUT') {
      return { kind: 'failure', reason: 'timeout', detail: networkDetail(error) };
    }
    if (error.code === AxiosError.ERR_BAD_RESPONSE && /maxContentLength/.test(error.message)) {
      return { kind: 'failure', reason: 'invalid_response', detail: `body larger than ${maxBytes} bytes` };
    }
    const undecodable = undecodableBody(error);
    if (undecodable) return { kind: 'failure', reason: 'invalid_response', detail: undecodable };
    const code = error.code ?? (error.cause as NodeJS.ErrnoException | undefined)?.code ?? '';
    if (proxyUrl && !error.response && CONNECT_ERROR_CODES.has(code)) {
      return {
        kind: 'failure',
        reason: 'proxy',
        detail: `proxy ${proxyForDisplay(proxyUrl)}: ${networkDetail(error)}`,
      };
    }
    return { kind: 'failure', reason: 'network', detail: networkDetail(error) };
  }
  const detail = error instanceof Error ? error.message : String(error);
  if (!proxyUrl) return { kind: 'failure', reason: 'network', detail };
  const shown = detail.split(proxyUrl).join(proxyForDisplay(proxyUrl));
  return { kind: 'failure', reason: 'proxy', detail: `proxy ${proxyForDisplay(proxyUrl)}: ${shown}` };
}

function answerOf(
  status: number,
  data: unknown,
  date: unknown,
  proxyUrl: string | undefined,
  options: NumbersClientOptions,
): PageAnswer {
  if (proxyUrl && (status === 407 || status === 401)) {
    const detail = `proxy ${proxyForDisplay(proxyUrl)} answered HTTP ${status} (proxy authentication failed)`;
    return { kind: 'failure', reason: 'proxy', detail };
  }
  if (status !== 200) return { kind: 'failure', reason: 'http_status', detail: `HTTP ${status}` };
  const body = parseJsonBody(typeof data === 'string' ? data : '');
  if (!body.ok) return { kind: 'failure', reason: 'invalid_response', detail: body.problem };
  const serverDate = parseDateHeader(date);
  return { kind: 'answer', parsed: parseNumbersResponse(body.json, options), ...(serverDate ? { serverDate } : {}) };
}

export function createNumbersClient(options: NumbersClientOptions): NumbersClient {
  const now = options.now ?? Date.now;
  const maxBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const ca = options.caFile ? [...rootCertificates, readFileSync(options.caFile, 'utf8')] : undefined;
  const instance = createAxios(options, maxBytes, ca);
  const proxyAgents = new Map<string, http.Agent>();
  const proxyAgent = async (proxyUrl: string, secure: boolean): Promise<http.Agent> => {
    const key = `${secure ? 'https' : 'http'} ${proxyUrl}`;
    let agent = proxyAgents.get(key);
    if (!agent) {
      const { createProxyAgent } = await import('./proxy-agents');
      agent = createProxyAgent(proxyUrl, secure, ca);
      proxyAgents.set(key, agent);
    }
    return agent;
  };

  async function postPage(account: ItnioCredentials, current: number, signal?: AbortSignal): Promise<PageAnswer> {
    // As in the balance client: the timer bounds a slow drip too, and the link to the shutdown
    // signal is made by hand.
    let timedOut = false;
    const request = new AbortController();
    const timer = setTimeout(() => {
      timedOut = true;
      request.abort();
    }, options.timeoutMs);
    const onShutdown = (): void => request.abort();
    if (signal?.aborted) request.abort();
    else signal?.addEventListener('abort', onShutdown, { once: true });
    const url = joinUrl(numbersRootUrl(account.baseUrl), 'number/queryPage');
    const proxyUrl = options.proxy ? proxyFor(new URL(url), options.proxy) : undefined;
    const secure = url.startsWith('https:');
    try {
      const via = proxyUrl ? { [secure ? 'httpsAgent' : 'httpAgent']: await proxyAgent(proxyUrl, secure) } : {};
      const body = JSON.stringify({ current, size: options.pageSize ?? 100, params: {} });
      const response = await instance.post<string>(url, body, {
        ...via,
        headers: {
          ...buildSignedHeaders(account.apiKey, account.apiSecret, now()),
          Accept: 'application/json',
          ...(options.userAgent ? { 'User-Agent': options.userAgent } : {}),
        },
        signal: request.signal,
      });
      return answerOf(response.status, response.data, response.headers.date, proxyUrl, options);
    } catch (error) {
      if (signal?.aborted && !timedOut) return { kind: 'aborted' };
      if (timedOut)
        return { kind: 'failure', reason: 'timeout', detail: `no complete answer within ${options.timeoutMs} ms` };
      return classifyError(error, proxyUrl, maxBytes);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onShutdown);
    }
  }

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
