import { ALL_API_STATUSES, apiStatusWords, failureReasonWords } from '../itnio/failures';
import type { NumbersOutcome } from '../itnio/numbers-client';
import { NUMBER_STATES, type NumberState, type RentedNumber } from '../itnio/numbers-response';

/** The store slot of the numbers poll: what an account's number/queryPage polls add up to. */

/** Distinct undocumented status codes kept as labels per account; later ones count as "other". */
const MAX_UNKNOWN_STATUSES = 20;

interface NumbersError {
  /** An API status code, or a failure reason (timeout, network…). */
  code: string;
  kind: 'api_error' | 'failure';
  meaning: string;
  detail: string;
  /** Unix ms. */
  at: number;
}

/** Replaced, never changed in place: snapshots share it. */
export interface NumbersSlot {
  /** Whether the last finished numbers poll succeeded. */
  lastOk: boolean;
  /** Steady-clock ms of the last successful poll: the age of `numbers` and `counts`. */
  lastSuccessSteadyMs?: number;
  /** Unix ms of the last successful poll. */
  lastSuccessAt?: number;
  /** The numbers of the last successful poll, soonest due first (those without a due date last). */
  numbers?: readonly RentedNumber[];
  /** How many numbers the last successful poll listed in each state. */
  counts?: Readonly<Record<NumberState, number>>;
  lastError?: NumbersError;
  /** number/queryPage requests sent (one per page). */
  requests: number;
  apiErrors: ReadonlyMap<string, number>;
  failures: ReadonlyMap<string, number>;
}

/** What the store hands a kind's state: the poller's result (structurally src/polling/poller.ts PollResult). */
export interface NumbersResult {
  outcome: NumbersOutcome;
  finishedAt: number;
  finishedSteadyMs: number;
}

const EMPTY_NUMBERS_SLOT: NumbersSlot = {
  lastOk: false,
  requests: 0,
  apiErrors: new Map(),
  failures: new Map(),
};

function countByState(numbers: readonly RentedNumber[]): Record<NumberState, number> {
  const counts = Object.fromEntries(NUMBER_STATES.map((s) => [s, 0])) as Record<NumberState, number>;
  for (const n of numbers) counts[n.state]++;
  return counts;
}

/** Soonest due first; numbers without a due moment last, then by number, so a cap is stable. */
function byDue(a: RentedNumber, b: RentedNumber): number {
  const due = (a.dueAt ?? Infinity) - (b.dueAt ?? Infinity);
  return due !== 0 && !Number.isNaN(due) ? due : a.number.localeCompare(b.number);
}

function statusLabel(seen: ReadonlyMap<string, number>, status: string): string {
  const documented = (s: string): boolean => (ALL_API_STATUSES as readonly string[]).includes(s);
  if (documented(status) || seen.has(status)) return status;
  const unknown = [...seen.keys()].filter((s) => s !== 'other' && !documented(s));
  return unknown.length >= MAX_UNKNOWN_STATUSES ? 'other' : status;
}

const plusOne = (map: ReadonlyMap<string, number>, key: string): ReadonlyMap<string, number> =>
  new Map(map).set(key, (map.get(key) ?? 0) + 1);

/**
 * The slot after one numbers poll. A failure changes only `lastOk`, the error and the counters:
 * the last good numbers stay (the metrics drop them after --poll.max-age), never a made-up date.
 */
export function recordNumbers(previous: NumbersSlot | undefined, result: NumbersResult): NumbersSlot {
  const slot = previous ?? EMPTY_NUMBERS_SLOT;
  const { outcome } = result;
  const requests = slot.requests + outcome.requests;
  switch (outcome.kind) {
    case 'success': {
      const numbers = [...outcome.numbers].sort(byDue);
      const { lastError: _, ...rest } = slot;
      return {
        ...rest,
        requests,
        lastOk: true,
        lastSuccessSteadyMs: result.finishedSteadyMs,
        lastSuccessAt: result.finishedAt,
        numbers,
        counts: countByState(numbers),
      };
    }
    case 'api_error': {
      const { meaning } = apiStatusWords(outcome.status);
      const detail = `page ${outcome.page}: ${outcome.reason || meaning}`;
      const lastError: NumbersError = {
        code: outcome.status,
        kind: 'api_error',
        meaning,
        detail,
        at: result.finishedAt,
      };
      return {
        ...slot,
        requests,
        lastOk: false,
        lastError,
        apiErrors: plusOne(slot.apiErrors, statusLabel(slot.apiErrors, outcome.status)),
      };
    }
    case 'failure': {
      const { meaning } = failureReasonWords(outcome.reason);
      const lastError: NumbersError = {
        code: outcome.reason,
        kind: 'failure',
        meaning,
        detail: outcome.detail,
        at: result.finishedAt,
      };
      return { ...slot, requests, lastOk: false, lastError, failures: plusOne(slot.failures, outcome.reason) };
    }
    default:
      // Aborted by shutdown or a reload: nothing was learnt, only the requests sent count.
      return { ...slot, requests };
  }
}

/** Whether the slot's numbers are fresh enough to export at steady time `nowMs`. */
export function numbersFresh(slot: NumbersSlot, nowMs: number, maxAgeMs: number): boolean {
  return (
    slot.numbers !== undefined && slot.lastSuccessSteadyMs !== undefined && nowMs - slot.lastSuccessSteadyMs <= maxAgeMs
  );
}
