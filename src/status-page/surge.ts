import type { HistoryPoint } from '../store/balance-history';
import { hourlySpends, quantile } from '../store/money';

/*
 * The spend-surge mark of the status page: the tunables of ItniotechSpendSurge
 * (prometheus/rules/itniotech.rules.yml) applied to the exporter's own history. That history
 * holds at most a day (and starts empty at every restart), not Prometheus' 7 days, and the page
 * has no 5-minute rate or `for:`: the mark says the last hour was a surge, not that the alert fires.
 */

/** The `5 *` in itniotech:balance_spend_per_hour:surge_threshold. */
export const RULES_SURGE_FACTOR = 5;
/** The floor (money per hour) in itniotech:balance_spend_per_hour:surge_threshold. */
export const RULES_SURGE_FLOOR_PER_HOUR = 10;
/** The quantile of the hourly spend in itniotech:balance_spend_per_hour:normal7d. */
export const RULES_NORMAL_QUANTILE = 0.9;
/**
 * Whole hours of the page's own history before it states a normal. The rule needs 24 hourly
 * samples out of 7 days; the page keeps 24 h, which hold 22 or 23 whole hours.
 */
export const PAGE_NORMAL_MIN_HOURS = 20;

export interface SpendSurge {
  /** Spent in the last hour (so: per hour); null before two polls. */
  lastHour: number | null;
  /** The normal hour, the quantile of the whole hours kept; null with fewer than PAGE_NORMAL_MIN_HOURS. */
  normalHour: number | null;
  /** How many whole hours of history the normal rests on (so far). */
  normalHours: number;
  /** max(factor × normal, floor): a last hour above it is a surge; null without a normal. */
  threshold: number | null;
  surging: boolean;
}

/**
 * `points`: the account's kept history, oldest first; `lastHour`: its spend in the last hour,
 * from the history (the store's spend rate over one hour).
 */
export function spendSurge(points: readonly HistoryPoint[], lastHour: number | undefined, nowMs: number): SpendSurge {
  const first = points[0];
  const steps = points.map((p) => ({ atMs: p.firstAtMs, spent: p.spent }));
  const hours = first === undefined ? [] : hourlySpends(steps, first.firstAtMs, nowMs);
  const normalHour = hours.length >= PAGE_NORMAL_MIN_HOURS ? (quantile(hours, RULES_NORMAL_QUANTILE) ?? null) : null;
  const threshold = normalHour === null ? null : Math.max(RULES_SURGE_FACTOR * normalHour, RULES_SURGE_FLOOR_PER_HOUR);
  const recent = lastHour ?? null;
  return {
    lastHour: recent,
    normalHour,
    normalHours: hours.length,
    threshold,
    surging: recent !== null && threshold !== null && recent > threshold,
  };
}
