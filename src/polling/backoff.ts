import type { PollOutcome } from './kind';

/** ITNIO's "frequent query": the account is polled too often (perhaps by another system too). */
export const RATE_LIMITED_STATUS = '-15';

/** An account's back-off after a poll, as the store, the metrics, the page and the log see it. */
export interface BackoffState {
  /** The account's widened poll interval; 0 when it polls at the normal pace. */
  seconds: number;
  /** Consecutive -15 answers behind it (0 when not backing off). */
  streak: number;
  /** Steady-clock time before which scheduled polls of the account are skipped; undefined when not backing off. */
  nextPollSteadyMs?: number;
  /** What this poll changed: back-off began, widened, or ended. */
  change?: 'started' | 'widened' | 'ended';
}

export interface BackoffOptions {
  /** The normal gap between scheduled polls (the interval, or a schedule's longest gap). */
  gapMs: number;
  /**
   * --poll.max-age. The widened interval stops at max-age minus one gap, so a poll still lands
   * (and can succeed) before the last good balance is dropped.
   */
  maxAgeMs: number;
}

/** One account's run of -15 answers; the store keeps it on the account's entry. */
export interface BackoffStreak {
  readonly count: number;
  readonly intervalMs: number;
  readonly nextPollSteadyMs: number;
}

/**
 * The back-off rule on "frequent query" (-15) and HTTP 429, shared by every kind of poll of an
 * account (one API key): each consecutive one doubles the poll interval (2, 4, 8… gaps), or
 * waits the 429's Retry-After if that is longer, up to the cap;
 * scheduled polls before the next allowed time are skipped. Any other answer (a success,
 * another status, a request failure) ends it: only -15 and 429 say the key is polled too often. Holds
 * no state of its own: the streak lives on the account's entry in the store.
 */
export class PollBackoff {
  readonly gapMs: number;
  readonly capMs: number;

  constructor(options: BackoffOptions) {
    this.gapMs = Math.max(1, options.gapMs);
    this.capMs = Math.max(this.gapMs, options.maxAgeMs - this.gapMs);
  }

  /**
   * Whether a scheduled poll may go now. Half a gap of slack, so a tick that arrives a little
   * before the allowed time (the poll itself took time) is not pushed a whole gap later.
   */
  allows(streak: BackoffStreak | undefined, nowSteadyMs: number): boolean {
    return !streak || nowSteadyMs >= streak.nextPollSteadyMs - this.gapMs / 2;
  }

  /** The streak after a poll's outcome (`startedSteadyMs`: when it was sent), and the state to report. */
  next(
    streak: BackoffStreak | undefined,
    outcome: PollOutcome,
    startedSteadyMs: number,
  ): { streak: BackoffStreak | undefined; state: BackoffState } {
    if (outcome.kind === 'aborted') return { streak, state: stateOf(streak) };
    const limit = rateLimit(outcome);
    if (!limit) {
      return { streak: undefined, state: { seconds: 0, streak: 0, ...(streak ? { change: 'ended' as const } : {}) } };
    }
    const count = (streak?.count ?? 0) + 1;
    const intervalMs = Math.min(Math.max(this.gapMs * 2 ** count, limit.retryAfterMs), this.capMs);
    // With a cap of one gap (max-age of two gaps or less) there is nothing to widen.
    if (intervalMs <= this.gapMs) return { streak: undefined, state: { seconds: 0, streak: 0 } };
    const next: BackoffStreak = { count, intervalMs, nextPollSteadyMs: startedSteadyMs + intervalMs };
    const change = !streak ? 'started' : intervalMs > streak.intervalMs ? 'widened' : undefined;
    return { streak: next, state: { ...stateOf(next), ...(change ? { change } : {}) } };
  }
}

/** -15, or HTTP 429 with its Retry-After (0 without one): the key is polled too often. */
function rateLimit(outcome: PollOutcome): { retryAfterMs: number } | undefined {
  if (outcome.kind === 'api_error' && outcome.status === RATE_LIMITED_STATUS) return { retryAfterMs: 0 };
  if (outcome.kind === 'failure' && outcome.rateLimited) return { retryAfterMs: outcome.retryAfterMs ?? 0 };
  return undefined;
}

function stateOf(streak: BackoffStreak | undefined): BackoffState {
  if (!streak) return { seconds: 0, streak: 0 };
  return { seconds: streak.intervalMs / 1000, streak: streak.count, nextPollSteadyMs: streak.nextPollSteadyMs };
}
