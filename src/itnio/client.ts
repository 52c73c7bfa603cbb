import type { FailureReason } from './failures';
import { proxyForDisplay } from './proxy';
import { parseBalanceResponse, type BalanceValues } from './response';
import { createSignedTransport, type ItnioCredentials, type TransportOptions, type TransportResult } from './transport';

/** What one getBalance request ended as. `detail` is safe to log: it never holds a secret. */
export type BalanceOutcome =
  | ({ kind: 'success' } & BalanceValues)
  | { kind: 'api_error'; status: string; reason: string; serverDate?: Date }
  | {
      kind: 'failure';
      reason: FailureReason;
      detail: string;
      /** HTTP 429: the account backs off as on -15 (src/polling/backoff.ts), at least `retryAfterMs` when given. */
      rateLimited?: true;
      retryAfterMs?: number;
    }
  | { kind: 'aborted' };

export interface BalanceClient {
  fetchBalance(credentials: ItnioCredentials, signal?: AbortSignal): Promise<BalanceOutcome>;
}

export type BalanceClientOptions = TransportOptions;

export function parseDateHeader(value: unknown): Date | undefined {
  if (typeof value !== 'string') return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/**
 * The failure an answer's HTTP status means, if any: ITNIO answers its own errors with HTTP 200
 * and a status in the body; 407 (and tinyproxy's 401) through a proxy are the proxy refusing
 * its credentials. Shared by every endpoint's client.
 */
export function httpStatusFailure(
  answer: Extract<TransportResult, { kind: 'answer' }>,
  nowMs: number,
): Extract<BalanceOutcome, { kind: 'failure' }> | undefined {
  if (answer.proxyUrl && (answer.status === 407 || answer.status === 401)) {
    const proxy = proxyForDisplay(answer.proxyUrl);
    const detail = `proxy ${proxy} answered HTTP ${answer.status} (proxy authentication failed)`;
    return { kind: 'failure', reason: 'proxy', detail };
  }
  if (answer.status === 429) {
    const retryAfterMs = retryAfter(answer.headers['retry-after'], nowMs);
    const wait = retryAfterMs === undefined ? '' : ` (Retry-After ${Math.round(retryAfterMs / 1000)} s)`;
    const detail = `HTTP 429${wait}`;
    return {
      kind: 'failure',
      reason: 'http_status',
      detail,
      rateLimited: true,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    };
  }
  if (answer.status !== 200) return { kind: 'failure', reason: 'http_status', detail: `HTTP ${answer.status}` };
  return undefined;
}

/** Retry-After as seconds or an HTTP date (RFC 9110 10.2.3), in milliseconds from now; undefined if absent or unreadable. */
function retryAfter(value: unknown, nowMs: number): number | undefined {
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (/^\d{1,9}$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) || !/[a-z]/i.test(text) ? undefined : Math.max(0, date - nowMs);
}

/** A getBalance answer as the poller sees it. */
function balanceOutcome(result: TransportResult, nowMs: number): BalanceOutcome {
  if (result.kind !== 'answer') return result;
  const failure = httpStatusFailure(result, nowMs);
  if (failure) return failure;
  const parsed = parseBalanceResponse(result.body);
  switch (parsed.kind) {
    case 'success':
      return { kind: 'success', balance: parsed.balance, gift: parsed.gift, credit: parsed.credit };
    case 'api_error': {
      const serverDate = parseDateHeader(result.headers.date);
      return { kind: 'api_error', status: parsed.status, reason: parsed.reason, ...(serverDate ? { serverDate } : {}) };
    }
    case 'invalid':
      return { kind: 'failure', reason: 'invalid_response', detail: parsed.problem };
  }
}

export function createBalanceClient(options: BalanceClientOptions): BalanceClient {
  const transport = createSignedTransport(options);
  const now = options.now ?? Date.now;
  return {
    fetchBalance: async (credentials, signal) =>
      balanceOutcome(await transport.send({ credentials, path: 'getBalance' }, signal), now()),
  };
}
