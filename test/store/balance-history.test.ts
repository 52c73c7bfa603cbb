import { BalanceHistory, type HistoryOptions } from '../../src/store/balance-history';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

const historyOf = (options: HistoryOptions): BalanceHistory => new BalanceHistory(options);

/** A clock the test sets. */
function clock(start: number): { now: () => number; set(ms: number): void } {
  let t = start;
  return { now: () => t, set: (ms) => void (t = ms) };
}

describe('BalanceHistory', () => {
  test('stays within maxPoints over a day of 1s polls, covering the whole span', () => {
    const maxPoints = 50;
    const time = clock(0);
    const history = historyOf({ maxGapMs: HOUR, maxPoints, spanMs: 24 * HOUR, now: time.now });
    let longest = 0;
    for (let t = 0; t <= 26 * HOUR; t += 1000) {
      history.add(t, 1_000_000 - t / 1000);
      if (t % (10 * MINUTE) === 0) {
        time.set(t);
        longest = Math.max(longest, history.points().length);
      }
    }
    time.set(26 * HOUR);
    const points = history.points();
    expect(longest).toBeLessThanOrEqual(maxPoints);
    expect(points.length).toBeGreaterThan(maxPoints / 4);
    // Oldest kept point within the span but not much newer than its start.
    expect((points[0] as { atMs: number }).atMs).toBeGreaterThan(2 * HOUR);
    expect((points[0] as { atMs: number }).atMs).toBeLessThan(4 * HOUR);
    expect((points[points.length - 1] as { atMs: number }).atMs).toBe(26 * HOUR);
  });

  test('downsampling keeps the spend rate of the raw polls, top-ups included', () => {
    const maxPoints = 100;
    const time = clock(0);
    const history = historyOf({ maxGapMs: HOUR, maxPoints, now: time.now });
    let balance = 5000;
    for (let t = 0; t <= 8 * HOUR; t += MINUTE) {
      // Spends 2 a minute, with a top-up of 3000 every 100 minutes.
      balance += t > 0 && t % (100 * MINUTE) === 0 ? 3000 : -2;
      history.add(t, balance);
    }
    expect(history.points().length).toBeLessThanOrEqual(maxPoints);

    // A window holding all the data: merging buckets loses no spend at all. By hand: 481 polls
    // (minutes 0..480) make 480 steps; 4 are top-ups (minutes 100, 200, 300, 400) spending 0, so
    // 476 x 2 = 952 spent, over a 12 h window: 952 x 24 / 12 = 1904 a day.
    time.set(8 * HOUR);
    expect(history.spendPerDay(12 * HOUR)).toBeCloseTo(1904, 6);

    // The 6h window (2 h, 8 h]: the steps ending at minutes 121..480, 360 of them, 3 top-ups
    // (200, 300, 400): 357 x 2 = 714 spent per quarter day, 714 x 4 = 2856 a day.
    const exact = 2856;
    // Its start falls inside a merged bucket: off by at most one bucket's spend. Buckets are
    // under twice the width of maxPoints evenly spread points.
    const bucketMinutes = (2 * 8 * 60) / maxPoints;
    expect(Math.abs((history.spendPerDay() ?? Number.NaN) - exact)).toBeLessThanOrEqual(bucketMinutes * 2 * 4);
  });

  test('a drop across an outage longer than the max age spends 0, as in the recording rule', () => {
    const time = clock(0);
    const history = historyOf({ maxGapMs: HOUR, now: time.now });
    // 1 spent, then 20 h without a successful poll, then 899 lower: the exporter had dropped the
    // series after 1 h, so the rule has no step across the outage and sees no spend at all.
    history.add(0, 1000);
    history.add(MINUTE, 999);
    history.add(MINUTE + 20 * HOUR, 100);
    time.set(MINUTE + 20 * HOUR);
    expect(history.spendPerDay()).toBe(0);
    // Spending after the outage counts again: 4 in the window, 16 a day.
    history.add(2 * MINUTE + 20 * HOUR, 96);
    time.set(2 * MINUTE + 20 * HOUR);
    expect(history.spendPerDay()).toBeCloseTo(16, 6);
  });

  test('a drop across a gap within the max age counts', () => {
    const time = clock(0);
    const history = historyOf({ maxGapMs: 2 * HOUR, now: time.now });
    // 30 minutes of failed polls; the series stayed, the rule sees one 40 drop: 160 a day.
    history.add(0, 1000);
    history.add(30 * MINUTE, 960);
    time.set(HOUR);
    expect(history.spendPerDay()).toBeCloseTo(160, 6);
  });

  test('merged points at the window start make the rate lower than the raw polls give, never higher', () => {
    const time = clock(0);
    const history = historyOf({ maxGapMs: HOUR, maxPoints: 20, now: time.now });
    for (let t = 0; t <= 10 * HOUR; t += MINUTE) history.add(t, 100_000 - 5 * (t / MINUTE));
    // Slide the window across the merged buckets. The raw polls give, by hand, 5 a minute over
    // any 6 h window from 6 h on: 360 steps x 5 = 1800 per quarter day, 1800 x 4 = 7200 a day.
    const exact = 7200;
    for (let now = 7 * HOUR; now <= 10 * HOUR; now += 7 * MINUTE) {
      time.set(now);
      expect(history.spendPerDay()).toBeLessThanOrEqual(exact + 1e-9);
      // 20 buckets over 10 h: one bucket holds under 2 x 30 minutes of spend (300), 1,200 a day.
      expect(history.spendPerDay()).toBeGreaterThanOrEqual(exact - 4 * 2 * 30 * 5);
    }
  });

  // Accounts no longer configured lose their history with their store entry (test/store/account-store.test.ts).
  test('drops points older than the span', () => {
    const time = clock(0);
    const history = historyOf({ maxGapMs: HOUR, spanMs: HOUR, now: time.now });
    history.add(0, 10);
    history.add(30 * MINUTE, 9);
    time.set(70 * MINUTE);
    expect(history.points().map((p) => p.balance)).toEqual([9]);
  });

  test('rejects impossible bounds', () => {
    expect(() => historyOf({ maxGapMs: HOUR, maxPoints: 1 })).toThrow(/at least 2 points/);
    expect(() => historyOf({ maxGapMs: HOUR, spanMs: 0 })).toThrow(/span must be positive/);
    expect(() => historyOf({ maxGapMs: 0 })).toThrow(/max gap must be positive/);
  });
});
