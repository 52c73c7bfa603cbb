import { daysLeft, hourlySpends, quantile, spendPerDay } from '../../src/store/money';
import { spendSteps, type BalanceSample } from '../support/spend-steps';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** One sample per minute from minute 0, as the promtool test series `a+bxn` would give. */
const perMinute = (values: readonly number[]): BalanceSample[] =>
  values.map((balance, i) => ({ atMs: i * MINUTE, balance }));
const repeat = (value: number, times: number): number[] => Array.from({ length: times }, () => value);
const ramp = (from: number, step: number, times: number): number[] =>
  Array.from({ length: times }, (_, i) => from + step * i);

describe('spendPerDay', () => {
  // The first three rows are the cases of prometheus/rules/itniotech.rules.test.yml
  // (itniotech:balance_spend_per_day:rate6h), worked out by hand there.
  const steady = perMinute([...repeat(10800, 121), ...ramp(10788, -12, 300)]);
  const topup = perMinute([...repeat(5000, 121), ...ramp(4988, -12, 130), 9000, ...ramp(8988, -12, 169)]);
  // --poll.max-age's default; every per-minute series here is far from it.
  const maxGapMs = HOUR;
  const cases: Array<{
    name: string;
    samples: BalanceSample[];
    nowMs: number;
    windowMs?: number;
    maxGapMs?: number;
    expected: number;
  }> = [
    { name: 'rules test: steady spend, window partly flat (3h)', samples: steady, nowMs: 3 * HOUR, expected: 2880 },
    { name: 'rules test: steady spend, whole window spending (7h)', samples: steady, nowMs: 7 * HOUR, expected: 14400 },
    { name: 'rules test: top-up counts as no spend', samples: topup, nowMs: 7 * HOUR, expected: 14352 },
    { name: 'never spends', samples: perMinute(repeat(500, 421)), nowMs: 7 * HOUR, expected: 0 },
    { name: 'no samples', samples: [], nowMs: HOUR, expected: 0 },
    { name: 'one sample has no step', samples: perMinute([100]), nowMs: HOUR, expected: 0 },
    { name: 'only top-ups', samples: perMinute([10, 20, 50, 50]), nowMs: HOUR, expected: 0 },
    // 10 + 5 spent in 6h = 15 per quarter day.
    { name: 'spend, top-up, spend', samples: perMinute([100, 90, 200, 195]), nowMs: HOUR, expected: 60 },
    // The step ending at minute 1 is outside (now - 1h, now] when now is 61 minutes.
    {
      name: 'a step ending exactly at the window start is outside',
      samples: perMinute([100, 90, 80]),
      nowMs: 61 * MINUTE,
      windowMs: HOUR,
      expected: 240,
    },
    {
      name: 'steps after now are ignored',
      samples: perMinute([100, 90, 80]),
      nowMs: MINUTE,
      windowMs: HOUR,
      expected: 240,
    },
    {
      name: 'negative balances (credit) still spend',
      samples: perMinute([5, -5, -20]),
      nowMs: HOUR,
      windowMs: HOUR,
      expected: 25 * 24,
    },
    // Polls failed for 3h but the exporter kept the series (max age 4h): the rule sees one
    // 30 drop inside its window, 30 per quarter day.
    {
      name: 'a drop across a gap within the max age counts',
      samples: [
        { atMs: 0, balance: 100 },
        { atMs: 3 * HOUR, balance: 70 },
      ],
      nowMs: 4 * HOUR,
      maxGapMs: 4 * HOUR,
      expected: 120,
    },
    {
      name: 'a drop across a gap of exactly the max age counts',
      samples: [
        { atMs: 0, balance: 100 },
        { atMs: 3 * HOUR, balance: 70 },
      ],
      nowMs: 4 * HOUR,
      maxGapMs: 3 * HOUR,
      expected: 120,
    },
    // The same gap with the 1h max age: the series was absent, the rule has no step across it.
    {
      name: 'a drop across a gap longer than the max age spends 0',
      samples: [
        { atMs: 0, balance: 100 },
        { atMs: 3 * HOUR, balance: 70 },
      ],
      nowMs: 4 * HOUR,
      expected: 0,
    },
    // 10 spent before a 2h outage, 50 lost across it, then 5: only 10 + 5 count, 60 a day.
    {
      name: 'only the steps either side of a long gap count',
      samples: [
        { atMs: 0, balance: 1000 },
        { atMs: MINUTE, balance: 990 },
        { atMs: 2 * HOUR + MINUTE, balance: 940 },
        { atMs: 2 * HOUR + 2 * MINUTE, balance: 935 },
      ],
      nowMs: 3 * HOUR,
      expected: 60,
    },
  ];
  test.each(cases)('$name', ({ samples, nowMs, windowMs, expected, ...rest }) => {
    expect(spendPerDay(spendSteps(samples, rest.maxGapMs ?? maxGapMs), nowMs, windowMs)).toBeCloseTo(expected, 6);
  });

  test('rejects a window that is not positive', () => {
    expect(() => spendPerDay([], 0, 0)).toThrow(/spend window must be positive/);
  });
});

describe('daysLeft', () => {
  const cases: Array<{ balance: number; perDay: number; expected: number | undefined }> = [
    // rules test: 10080 left at 2880/day, 7200 at 14400/day.
    { balance: 10080, perDay: 2880, expected: 3.5 },
    { balance: 7200, perDay: 14400, expected: 0.5 },
    { balance: 0, perDay: 10, expected: 0 },
    // Spending on credit: the money is already gone.
    { balance: -12.5, perDay: 10, expected: 0 },
    // Not spending: no estimate rather than +Infinity.
    { balance: 500, perDay: 0, expected: undefined },
    { balance: 500, perDay: Number.NaN, expected: undefined },
  ];
  test.each(cases)('balance $balance at $perDay/day -> $expected', ({ balance, perDay, expected }) => {
    expect(daysLeft(balance, perDay)).toBe(expected);
  });
});

describe('hourlySpends', () => {
  // Steps of 1 a minute from minute 1 to minute 150, and 50 more in the minute ending at 2h.
  const steps = Array.from({ length: 150 }, (_, i) => ({ atMs: (i + 1) * MINUTE, spent: i + 1 === 120 ? 51 : 1 }));

  test('sums each whole clock hour (h - 1h, h], oldest first', () => {
    expect(hourlySpends(steps, 0, 3 * HOUR)).toEqual([60, 110, 30]);
  });

  test('leaves out hours not covered: before the first balance, or not over yet', () => {
    expect(hourlySpends(steps, 1, 3 * HOUR)).toEqual([110, 30]);
    expect(hourlySpends(steps, 0, 2 * HOUR - 1)).toEqual([60]);
  });

  test('leaves out an hour without a step (no successful poll), keeps an hour of zero spend', () => {
    const gappy = [
      { atMs: 30 * MINUTE, spent: 5 },
      { atMs: 150 * MINUTE, spent: 0 },
    ];
    expect(hourlySpends(gappy, 0, 3 * HOUR)).toEqual([5, 0]);
  });
});

describe('quantile', () => {
  // Worked out as Prometheus's quantile_over_time: rank q * (n - 1), linear between neighbours.
  test.each([
    [[1, 2, 3, 4, 5], 0.5, 3],
    [[5, 1, 4, 2, 3], 0.9, 4.6],
    [[60, 60, 60, 1200], 0.9, 858],
    [[7], 0.9, 7],
    [[1, 2], 0, 1],
    [[1, 2], 1, 2],
  ])('quantile(%j, %s) = %s', (values, q, expected) => {
    expect(quantile(values, q)).toBeCloseTo(expected, 9);
  });

  test('nothing to take a quantile of', () => {
    expect(quantile([], 0.9)).toBeUndefined();
  });

  test('rejects a quantile outside [0, 1]', () => {
    expect(() => quantile([1], 1.5)).toThrow(/quantile must be within/);
  });
});
