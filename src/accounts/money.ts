/**
 * Spend rate and days left, computed as prometheus/rules/itniotech.rules.yml does
 * (itniotech:balance_spend_per_day:rate6h, itniotech:balance_days_left:rate6h): the sum of the
 * balance's decreases over a fixed window, scaled to one day. A top-up counts as 0, never as
 * negative spend, and missing data can only under-estimate the rate: a decrease across a gap
 * longer than --poll.max-age counts 0, because the exporter drops the balance series after that
 * age and the rule sees no step across an absent series.
 */

export const DAY_MS = 24 * 60 * 60 * 1000;
/** The window of the recording rule `rate6h`. */
export const SPEND_WINDOW_MS = 6 * 60 * 60 * 1000;

/** Money spent in the step that ended at `atMs` (0 for a top-up or no change). */
export interface SpendStep {
  atMs: number;
  spent: number;
}

export function spentBetween(previous: number, current: number): number {
  return Math.max(previous - current, 0);
}

/** Spend of one step between polls `gapMs` apart: 0 across a gap longer than `maxGapMs`. */
export function spentAcross(previous: number, current: number, gapMs: number, maxGapMs: number): number {
  return gapMs > maxGapMs ? 0 : spentBetween(previous, current);
}

/**
 * Spend per day from the steps that ended within (nowMs - windowMs, nowMs], divided by the whole
 * window as the recording rule does: a window only partly covered by data gives a lower rate.
 */
export function spendPerDay(steps: readonly SpendStep[], nowMs: number, windowMs: number = SPEND_WINDOW_MS): number {
  if (!(windowMs > 0)) throw new RangeError(`spend window must be positive, got ${windowMs} ms`);
  let spent = 0;
  for (const step of steps) {
    if (step.atMs > nowMs - windowMs && step.atMs <= nowMs) spent += step.spent;
  }
  return (spent * DAY_MS) / windowMs;
}

/** Days until the balance reaches zero; undefined while nothing is spent (not +Infinity). */
export function daysLeft(balance: number, perDay: number): number | undefined {
  if (!(perDay > 0)) return undefined;
  return Math.max(balance, 0) / perDay;
}
