import type { BalanceOutcome } from '../itnio/client';

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

interface Streak {
  count: number;
  intervalMs: number;
  nextPollSteadyMs: number;
}

/**
 * Per-account back-off on "frequent query" (-15): each consecutive -15 doubles the account's
 * poll interval (2, 4, 8… gaps) up to the cap; scheduled polls before its next allowed time are
 * skipped. Any other answer (a success, another status, a request failure) ends it: only -15
 * says the account is polled too often. Other accounts are not affected.
 */
export class PollBackoff {
  readonly gapMs: number;
  readonly capMs: number;
  private readonly streaks = new Map<string, Streak>();

  constructor(options: BackoffOptions) {
    this.gapMs = Math.max(1, options.gapMs);
    this.capMs = Math.max(this.gapMs, options.maxAgeMs - this.gapMs);
  }

  /**
   * Whether a scheduled poll of the account may go now. Half a gap of slack, so a tick that
   * arrives a little before the allowed time (the poll itself took time) is not pushed a whole
   * gap later.
   */
  allows(name: string, nowSteadyMs: number): boolean {
    const streak = this.streaks.get(name);
    return !streak || nowSteadyMs >= streak.nextPollSteadyMs - this.gapMs / 2;
  }

  /** Takes a poll's outcome; `startedSteadyMs` is when it was sent. Returns the account's state after it. */
  record(name: string, outcome: BalanceOutcome, startedSteadyMs: number): BackoffState {
    const streak = this.streaks.get(name);
    if (outcome.kind === 'aborted') return this.state(streak);
    if (outcome.kind !== 'api_error' || outcome.status !== RATE_LIMITED_STATUS) {
      if (!streak) return { seconds: 0, streak: 0 };
      this.streaks.delete(name);
      return { seconds: 0, streak: 0, change: 'ended' };
    }
    const count = (streak?.count ?? 0) + 1;
    const intervalMs = Math.min(this.gapMs * 2 ** count, this.capMs);
    // With a cap of one gap (max-age of two gaps or less) there is nothing to widen.
    if (intervalMs <= this.gapMs) return { seconds: 0, streak: 0 };
    const next: Streak = { count, intervalMs, nextPollSteadyMs: startedSteadyMs + intervalMs };
    this.streaks.set(name, next);
    const change = !streak ? 'started' : intervalMs > streak.intervalMs ? 'widened' : undefined;
    return { ...this.state(next), ...(change ? { change } : {}) };
  }

  /** Forgets accounts not in `names` (removed by a reload), and those in `reset` (now another ITNIO account). */
  keepOnly(names: ReadonlySet<string>, reset: ReadonlySet<string> = new Set()): void {
    for (const name of this.streaks.keys()) if (!names.has(name) || reset.has(name)) this.streaks.delete(name);
  }

  private state(streak: Streak | undefined): BackoffState {
    if (!streak) return { seconds: 0, streak: 0 };
    return { seconds: streak.intervalMs / 1000, streak: streak.count, nextPollSteadyMs: streak.nextPollSteadyMs };
  }
}
