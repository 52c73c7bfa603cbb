import cron from 'node-cron';
import { formatDuration } from './duration';

/** Cron runs in UTC, so daylight-saving changes never stretch or shrink an interval. */
export const CRON_TIMEZONE = 'Etc/UTC';

/** The longest gap between two runs of a cron expression, over its next `runs` runs. */
export function longestGapMs(expression: string, runs = 200): number {
  const task = cron.createTask(expression, () => undefined, { timezone: CRON_TIMEZONE });
  try {
    const times = task.getNextRuns(runs).map((d) => d.getTime());
    return Math.max(...times.slice(1).map((t, i) => t - (times[i] as number)));
  } finally {
    void task.destroy();
  }
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export const MIN_POLL_INTERVAL_MS = SECOND;
export const MAX_POLL_INTERVAL_MS = DAY;

const divisors = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1).filter((d) => n % d === 0);

/** Intervals a cron expression fires at evenly: divisors of a minute, an hour or a day. */
export const EVEN_INTERVALS_HELP =
  `${divisors(60)
    .filter((d) => d < 60)
    .map((d) => `${d}s`)
    .join(', ')}; ` +
  `${divisors(60)
    .filter((d) => d < 60)
    .map((d) => `${d}m`)
    .join(', ')}; ` +
  `${divisors(24)
    .map((d) => `${d}h`)
    .join(', ')}`;

/**
 * Turns a poll interval into a six-field node-cron expression that fires exactly every
 * interval. Cron steps restart at each field boundary (`*\/45 * * * * *` fires at :00 and
 * :45), so only intervals that divide the enclosing minute, hour or day are even.
 */
export function intervalToCron(intervalMs: number): { expression: string } | { error: string } {
  const bad = {
    error:
      `${formatDuration(intervalMs)} cannot be scheduled evenly by cron; ` +
      `use one of ${EVEN_INTERVALS_HELP}, or give an explicit cron expression`,
  };
  if (intervalMs < MIN_POLL_INTERVAL_MS || intervalMs > MAX_POLL_INTERVAL_MS) {
    return { error: `${formatDuration(intervalMs)} is outside 1s..24h` };
  }
  if (intervalMs % SECOND !== 0) return bad;
  if (intervalMs < MINUTE) {
    const s = intervalMs / SECOND;
    if (60 % s !== 0) return bad;
    return { expression: s === 1 ? '* * * * * *' : `*/${s} * * * * *` };
  }
  if (intervalMs < HOUR) {
    if (intervalMs % MINUTE !== 0) return bad;
    const m = intervalMs / MINUTE;
    if (60 % m !== 0) return bad;
    return { expression: m === 1 ? '0 * * * * *' : `0 */${m} * * * *` };
  }
  if (intervalMs % HOUR !== 0) return bad;
  const h = intervalMs / HOUR;
  if (24 % h !== 0) return bad;
  if (h === 24) return { expression: '0 0 0 * * *' };
  return { expression: h === 1 ? '0 0 * * * *' : `0 0 */${h} * * *` };
}
