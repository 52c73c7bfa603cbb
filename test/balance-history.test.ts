import type { Account } from '../src/account';
import { spendPerDay, spendSteps, type BalanceSample } from '../src/balance-math';
import { BalanceHistory } from '../src/balance-history';
import type { BalanceOutcome } from '../src/itnio/client';
import type { PollResult } from '../src/poller';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const account = (name: string): Account => ({ name, apiKey: 'k', apiSecret: 's', baseUrl: 'http://127.0.0.1:9/sms' });
const poll = (name: string, atMs: number, outcome: BalanceOutcome): PollResult => ({ account: account(name), outcome, startedAt: atMs, durationSeconds: 0 });

/** A clock the test sets. */
function clock(start: number): { now: () => number; set(ms: number): void } {
  let t = start;
  return { now: () => t, set: (ms) => void (t = ms) };
}

describe('BalanceHistory', () => {
  test('keeps successful polls only, per configured account', () => {
    const time = clock(0);
    const history = new BalanceHistory({ accounts: [account('a')], now: time.now });
    history.record(poll('a', 1000, { kind: 'success', balance: 10, gift: 0, credit: 0 }));
    history.record(poll('a', 2000, { kind: 'api_error', status: '-1', reason: 'authentication error' }));
    history.record(poll('a', 3000, { kind: 'failure', reason: 'timeout', detail: 'slow' }));
    history.record(poll('unknown', 3000, { kind: 'success', balance: 1, gift: 0, credit: 0 }));
    time.set(5000);
    expect(history.points('a').map((p) => p.balance)).toEqual([10]);
    expect(history.points('unknown')).toEqual([]);
    // One poll: no spend rate yet (not a rate of 0).
    expect(history.spendPerDay('a')).toBeUndefined();
    history.record(poll('a', 4000, { kind: 'success', balance: 10, gift: 0, credit: 0 }));
    expect(history.spendPerDay('a')).toBe(0);
  });

  test('stays within maxPoints over a day of 1s polls, covering the whole span', () => {
    const maxPoints = 50;
    const time = clock(0);
    const history = new BalanceHistory({ accounts: [account('a')], maxPoints, spanMs: 24 * HOUR, now: time.now });
    let longest = 0;
    for (let t = 0; t <= 26 * HOUR; t += 1000) {
      history.add('a', t, 1_000_000 - t / 1000);
      if (t % (10 * MINUTE) === 0) {
        time.set(t);
        longest = Math.max(longest, history.points('a').length);
      }
    }
    time.set(26 * HOUR);
    const points = history.points('a');
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
    const history = new BalanceHistory({ accounts: [account('a')], maxPoints, now: time.now });
    const raw: BalanceSample[] = [];
    let balance = 5000;
    for (let t = 0; t <= 8 * HOUR; t += MINUTE) {
      // Spends 2 a minute, with a top-up of 3000 every 100 minutes.
      balance += t > 0 && t % (100 * MINUTE) === 0 ? 3000 : -2;
      raw.push({ atMs: t, balance });
      history.add('a', t, balance);
    }
    expect(history.points('a').length).toBeLessThanOrEqual(maxPoints);

    // A window holding all the data: merging buckets loses no spend at all.
    time.set(8 * HOUR);
    const all = 12 * HOUR;
    expect(history.spendPerDay('a', all)).toBeCloseTo(spendPerDay(spendSteps(raw), 8 * HOUR, all), 6);

    // The 6h window: 360 steps, 3 of them top-ups, 357 x 2 per quarter day.
    const exact = spendPerDay(spendSteps(raw), 8 * HOUR);
    expect(exact).toBeCloseTo(357 * 2 * 4, 6);
    // Its start falls inside a merged bucket: off by at most one bucket's spend. Buckets are
    // under twice the width of maxPoints evenly spread points.
    const bucketMinutes = (2 * 8 * 60) / maxPoints;
    expect(Math.abs((history.spendPerDay('a') ?? Number.NaN) - exact)).toBeLessThanOrEqual(bucketMinutes * 2 * 4);
  });

  test('drops points older than the span and accounts no longer configured', () => {
    const time = clock(0);
    const history = new BalanceHistory({ accounts: [account('a'), account('b')], spanMs: HOUR, now: time.now });
    history.add('a', 0, 10);
    history.add('a', 30 * MINUTE, 9);
    history.add('b', 30 * MINUTE, 1);
    time.set(70 * MINUTE);
    expect(history.points('a').map((p) => p.balance)).toEqual([9]);
    history.setAccounts([account('a')]);
    expect(history.points('b')).toEqual([]);
    history.add('b', 71 * MINUTE, 1);
    expect(history.points('b')).toEqual([]);
  });

  test('rejects impossible bounds', () => {
    expect(() => new BalanceHistory({ accounts: [], maxPoints: 1 })).toThrow(/at least 2 points/);
    expect(() => new BalanceHistory({ accounts: [], spanMs: 0 })).toThrow(/span must be positive/);
  });
});
