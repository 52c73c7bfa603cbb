import { BalanceHistory } from '../../src/store/balance-history';
import { DAY_MS, HOUR_MS } from '../../src/store/money';
import {
  PAGE_NORMAL_MIN_HOURS,
  RULES_SURGE_FACTOR,
  RULES_SURGE_FLOOR_PER_HOUR,
  spendSurge,
} from '../../src/status-page/surge';

const MINUTE = 60_000;
/** A whole hour, so that hours of history are whole clock hours. */
const START = Date.UTC(2025, 0, 1, 0);

/**
 * The account's history as the exporter keeps it (bucketed, at most 240 points over 24 h), fed a
 * poll a minute spending `perMinute(t)` (ms since START) until `untilMs`; returns the verdict at
 * `untilMs` with the last hour's spend from the same history, as the status report takes it.
 */
function verdictAfter(untilMs: number, perMinute: (t: number) => number): ReturnType<typeof spendSurge> {
  let now = START;
  const history = new BalanceHistory({ maxGapMs: HOUR_MS, now: () => now });
  let balance = 1_000_000;
  for (let t = 0; t <= untilMs; t += MINUTE) {
    if (t > 0) balance -= perMinute(t);
    now = START + t;
    history.add(now, balance);
  }
  const perDay = history.spendPerDay(HOUR_MS);
  return spendSurge(history.points(), perDay === undefined ? undefined : (perDay * HOUR_MS) / DAY_MS, now);
}

describe('spendSurge', () => {
  const H = HOUR_MS;

  test('no normal before PAGE_NORMAL_MIN_HOURS whole hours of history, however fast it spends', () => {
    const verdict = verdictAfter(10 * H, (t) => (t > 9 * H ? 50 : 1));
    expect(verdict.normalHour).toBeNull();
    expect(verdict.threshold).toBeNull();
    expect(verdict.normalHours).toBe(10);
    expect(verdict.lastHour).toBeGreaterThan(2000);
    expect(verdict.surging).toBe(false);
  });

  test('a steady rate is its own normal, and not a surge', () => {
    const verdict = verdictAfter(23 * H, () => 2);
    expect(verdict.normalHours).toBeGreaterThanOrEqual(PAGE_NORMAL_MIN_HOURS);
    // 120 an hour; a history bucket at an hour's edge moves up to one bucket (about 9 min) of spend.
    expect(verdict.normalHour).toBeGreaterThan(100);
    expect(verdict.normalHour).toBeLessThan(140);
    expect(verdict.surging).toBe(false);
  });

  test('a last hour above factor × normal is a surge', () => {
    // 1 a minute for 22 h, then 20 a minute: 1200 in the last hour against a normal of about 60.
    const verdict = verdictAfter(23 * H, (t) => (t > 22 * H ? 20 : 1));
    expect(verdict.normalHour).toBeGreaterThan(50);
    expect(verdict.normalHour).toBeLessThan(70);
    expect(verdict.threshold).toBeCloseTo(RULES_SURGE_FACTOR * (verdict.normalHour as number), 6);
    expect(verdict.lastHour).toBeGreaterThan(1000);
    expect(verdict.surging).toBe(true);
  });

  test('the daytime of an account busy 8 h a day is its normal (the 90th percentile, not the median)', () => {
    // 2 a minute from 08:00 to 16:00 UTC, nothing at night; at 09:00 the next day.
    const verdict = verdictAfter(33 * H, (t) => ((t - 1) % DAY_MS >= 8 * H && (t - 1) % DAY_MS < 16 * H ? 2 : 0));
    expect(verdict.normalHour).toBeGreaterThan(100);
    expect(verdict.surging).toBe(false);
  });

  test('a surge under the floor is not a surge', () => {
    // Normal 0.6 an hour; then 0.15 a minute: 9 an hour, 15 times normal, under the floor of 10.
    const verdict = verdictAfter(23 * H, (t) => (t > 22 * H ? 0.15 : 0.01));
    expect(verdict.threshold).toBe(RULES_SURGE_FLOOR_PER_HOUR);
    // 9, less what a history bucket at the hour's start leaves out.
    expect(verdict.lastHour).toBeGreaterThan(RULES_SURGE_FACTOR * (verdict.normalHour as number));
    expect(verdict.lastHour).toBeLessThanOrEqual(9 + 1e-9);
    expect(verdict.surging).toBe(false);
  });

  test('no history: nothing known', () => {
    const nothing = { lastHour: null, normalHour: null, normalHours: 0, threshold: null, surging: false };
    expect(spendSurge([], undefined, START)).toEqual(nothing);
  });
});
