import { KNOWN_API_STATUSES } from '../itnio/failures';
import type { PollResult } from '../polling/poller';

/** Distinct undocumented status codes kept as labels per account; later ones count as "other". */
export const MAX_UNKNOWN_STATUSES = 20;

/**
 * What an account's getBalance polls add up to since it was configured (or became another
 * ITNIO account): the counter series are these numbers. Replaced, never changed in place.
 */
export interface BalanceCounts {
  /** Polls recorded (aborted ones are not). */
  readonly requests: number;
  /** API errors by status label: a documented status, an undocumented one, or "other". */
  readonly apiErrors: ReadonlyMap<string, number>;
  /** Polls without a usable answer, by reason. */
  readonly failures: ReadonlyMap<string, number>;
  /** Duration of the last poll. */
  readonly lastDurationSeconds?: number;
  /** Unix milliseconds (wall clock) when the last successful poll's answer arrived. */
  readonly lastSuccessAt?: number;
  /** Grows only with an API error or a failure, so the counters' text is formatted again only then. */
  readonly errorChanges: number;
}

export function emptyBalanceCounts(): BalanceCounts {
  return { requests: 0, apiErrors: new Map(), failures: new Map(), errorChanges: 0 };
}

/** The counts after one more recorded (not aborted) getBalance poll. */
export function balanceCountsAfter(counts: BalanceCounts, result: PollResult): BalanceCounts {
  const { outcome } = result;
  const next = { ...counts, requests: counts.requests + 1, lastDurationSeconds: result.durationSeconds };
  switch (outcome.kind) {
    case 'success':
      return { ...next, lastSuccessAt: result.finishedAt };
    case 'api_error':
      return {
        ...next,
        apiErrors: plusOne(counts.apiErrors, statusLabel(counts.apiErrors, outcome.status)),
        errorChanges: counts.errorChanges + 1,
      };
    case 'failure':
      return { ...next, failures: plusOne(counts.failures, outcome.reason), errorChanges: counts.errorChanges + 1 };
    default:
      return counts;
  }
}

function plusOne(map: ReadonlyMap<string, number>, key: string): ReadonlyMap<string, number> {
  return new Map(map).set(key, (map.get(key) ?? 0) + 1);
}

/** The status label to count under; a misbehaving upstream cannot grow it without bound. */
function statusLabel(seen: ReadonlyMap<string, number>, status: string): string {
  if ((KNOWN_API_STATUSES as readonly string[]).includes(status) || seen.has(status)) return status;
  const unknown = [...seen.keys()].filter(
    (s) => s !== 'other' && !(KNOWN_API_STATUSES as readonly string[]).includes(s),
  );
  return unknown.length >= MAX_UNKNOWN_STATUSES ? 'other' : status;
}
