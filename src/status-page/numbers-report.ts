import { apiStatusWords, failureReasonWords } from '../itnio/failures';
import type { NumberState } from '../itnio/numbers-response';
import { NUMBER_DUE_SOON_DAYS } from '../numbers/numbers-samples';
import { numbersFresh, type NumbersSlot } from '../numbers/numbers-state';

/** An account's rented numbers on the status page and in GET /api/v1/status. */
export interface NumbersReport {
  /** Whether the last numbers poll succeeded; null before the first one. */
  up: boolean | null;
  /** Numbers by state from the last good poll (within --poll.max-age); null without one. */
  counts: Record<NumberState, number> | null;
  /** The number in use due soonest, with its due date and moment; null without one. */
  nextDue: { number: string; dueDate: string; dueAt: string; daysLeft: number } | null;
  /** nextDue is within the ItniotechNumberExpiring window (7 days): the card shows it in red. */
  dueSoon: boolean;
  lastSuccessAt: string | null;
  /** The latest failed numbers poll, kept after a recovery. */
  lastError: { code: string; meaning: string; hint: string; detail: string; at: string } | null;
}

/**
 * The report of one account's numbers slot. `nowMs` is on the steady clock the slot's ages are
 * on; `wallNowMs` is the wall clock the due moments are compared with.
 */
export function numbersReport(
  slot: NumbersSlot | undefined,
  times: { nowMs: number; wallNowMs: number; maxAgeMs: number },
): NumbersReport {
  const fresh = slot !== undefined && numbersFresh(slot, times.nowMs, times.maxAgeMs);
  const next = fresh ? slot.numbers?.find((n) => n.state === 'in_use' && n.dueAt !== undefined) : undefined;
  const daysLeft = next?.dueAt === undefined ? null : (next.dueAt * 1000 - times.wallNowMs) / 86_400_000;
  const error = slot?.lastError;
  const words = error && (error.kind === 'api_error' ? apiStatusWords(error.code) : failureReasonWords(error.code));
  return {
    up: slot && (slot.lastOk || slot.lastError) ? slot.lastOk : null,
    counts: fresh && slot.counts ? { ...slot.counts } : null,
    nextDue:
      next?.dueAt !== undefined && daysLeft !== null
        ? {
            number: next.number,
            dueDate: next.dueDate ?? '',
            dueAt: new Date(next.dueAt * 1000).toISOString(),
            daysLeft,
          }
        : null,
    dueSoon: daysLeft !== null && daysLeft < NUMBER_DUE_SOON_DAYS,
    lastSuccessAt: slot?.lastSuccessAt === undefined ? null : new Date(slot.lastSuccessAt).toISOString(),
    lastError:
      error && words
        ? {
            code: error.code,
            meaning: words.meaning,
            hint: words.hint,
            detail: error.detail,
            at: new Date(error.at).toISOString(),
          }
        : null,
  };
}
