import { MAX_SPREAD_MS, SpreadRounds, spreadOffsetMs, spreadWindowMs } from '../../src/polling/spread';
import type { PollTarget } from '../../src/polling/kind';

/** Issue 20 item 10: each account polls at its own stable offset within the interval. */
const target = (name: string): PollTarget => ({
  account: { name, apiKey: `k-${name}`, apiSecret: 's', baseUrl: 'http://127.0.0.1:9' },
});
const names = Array.from({ length: 5000 }, (_, i) => `account-${i}`);

describe('spread offsets', () => {
  test('stable, inside the window, in 100 ms steps, and spread over all of it', () => {
    const offsets = names.map((n) => spreadOffsetMs(n, 'host-a', 60_000));
    expect(names.map((n) => spreadOffsetMs(n, 'host-a', 60_000))).toEqual(offsets);
    for (const offset of offsets) {
      expect(offset).toBeGreaterThanOrEqual(0);
      expect(offset).toBeLessThan(60_000);
      expect(offset % 100).toBe(0);
    }
    // 5 000 accounts over 60 one-second buckets: every second gets some, none gets a burst.
    const perSecond = new Array<number>(60).fill(0);
    for (const offset of offsets) perSecond[Math.floor(offset / 1000)]! += 1;
    expect(Math.min(...perSecond)).toBeGreaterThan(0);
    expect(Math.max(...perSecond)).toBeLessThan((5000 / 60) * 2);
  });

  test('another host name (a second replica) gives other offsets', () => {
    const same = names.filter((n) => spreadOffsetMs(n, 'replica-a', 60_000) === spreadOffsetMs(n, 'replica-b', 60_000));
    // Two independent offsets among 600 steps coincide for about 1 in 600.
    expect(same.length).toBeLessThan(50);
  });

  test('the window is the gap between polls, at most a minute, so a slow schedule polls near its slot', () => {
    expect(spreadWindowMs(10_000)).toBe(10_000);
    expect(spreadWindowMs(3_600_000)).toBe(MAX_SPREAD_MS);
    expect(spreadOffsetMs('x', 'h', 50)).toBe(0);
  });
});

describe('SpreadRounds', () => {
  function fakeTimer() {
    const timers: Array<{ at: number; run: () => void; cancelled: boolean }> = [];
    return {
      timers,
      timer: {
        setTimer(run: () => void, at: number) {
          const t = { at, run, cancelled: false };
          timers.push(t);
          return { cancel: () => void (t.cancelled = true) };
        },
      },
    };
  }

  test('releases each account at its own offset, grouped by offset; stop cancels the rest', () => {
    const { timers, timer } = fakeTimer();
    const rounds = new SpreadRounds({ windowMs: 60_000, salt: 'h', timer });
    const polled: string[][] = [];
    const targets = names.slice(0, 200).map(target);
    rounds.round(targets, (group) => polled.push(group.map((t) => t.account.name)));
    const expected = new Map<number, string[]>();
    for (const t of targets) {
      const offset = spreadOffsetMs(t.account.name, 'h', 60_000);
      expected.set(offset, [...(expected.get(offset) ?? []), t.account.name]);
    }
    expect(timers.length + (expected.has(0) ? 1 : 0)).toBe(expected.size);
    for (const t of timers) expect(t.at).toBeGreaterThan(0);
    const half = timers.filter((t) => t.at < 30_000);
    for (const t of half) t.run();
    rounds.stop();
    expect(timers.filter((t) => t.at >= 30_000).every((t) => t.cancelled)).toBe(true);
    const released = polled.flat().sort();
    const early = [...expected]
      .filter(([offset]) => offset < 30_000)
      .flatMap(([, n]) => n)
      .sort();
    expect(released).toEqual(early);
  });
});
