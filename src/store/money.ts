/**
 * Spend rate and days left, computed as prometheus/rules/itniotech.rules.yml does
 * (itniotech:balance_spend_per_day:rate6h, itniotech:balance_days_left:rate6h): the sum of the
 * balance's decreases over a fixed window, scaled to one day. A top-up counts as 0, never as
 * negative spend, and missing data can only under-estimate the rate: a decrease across a gap
 * longer than --poll.max-age counts 0, because the exporter drops the balance series after that
 * age and the rule sees no step across an absent series.
 */

export const HOUR_MS = 60 * 60 * 1000;
export const DAY_MS = 24 * HOUR_MS;
/** The window of the recording rule `rate6h`. */
export const SPEND_WINDOW_MS = 6 * HOUR_MS;

/** Money spent in the step that ended at `atMs` (0 for a top-up or no change). */
export interface SpendStep {
  atMs: number;
  spent: number;
}

function spentBetween(previous: number, current: number): number {
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

/**
 * The spend of each whole clock hour (h - 1 h, h] from `fromMs` (the first kept balance) to
 * `nowMs`, oldest first: the hourly samples that itniotech:balance_spend_per_hour:normal7d takes of
 * the 1h rate. A step counts in the hour its `atMs` falls in. An hour in which no step ended (no
 * successful poll) is left out rather than counted as 0, so that a poll outage does not pull the
 * normal down; what was spent in it arrives with the next step.
 */
export function hourlySpends(steps: readonly SpendStep[], fromMs: number, nowMs: number): number[] {
  const byHour = new Map<number, number>();
  for (const step of steps) {
    const hourEnd = Math.ceil(step.atMs / HOUR_MS) * HOUR_MS;
    if (hourEnd - HOUR_MS < fromMs || hourEnd > nowMs) continue;
    byHour.set(hourEnd, (byHour.get(hourEnd) ?? 0) + step.spent);
  }
  return [...byHour.entries()].sort((a, b) => a[0] - b[0]).map(([, spent]) => spent);
}

/**
 * The q-quantile of `values`, interpolated linearly between the two nearest ranks as Prometheus's
 * quantile_over_time does; undefined without values.
 */
export function quantile(values: readonly number[], q: number): number | undefined {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile must be within [0, 1], got ${q}`);
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = q * (sorted.length - 1);
  const lower = Math.floor(rank);
  const upper = Math.min(lower + 1, sorted.length - 1);
  const weight = rank - lower;
  return (sorted[lower] as number) * (1 - weight) + (sorted[upper] as number) * weight;
}
