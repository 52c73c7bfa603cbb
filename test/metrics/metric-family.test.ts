import { Counter, Gauge, Registry } from 'prom-client';
import type { Account } from '../../src/config/account';
import { BalanceCollector } from '../../src/metrics/collector';
import { MetricFamily, renderFamilies } from '../../src/metrics/metric-family';

/** The same operations on a MetricFamily and on a real prom-client metric. */
function twins(type: 'gauge' | 'counter', help = 'Help with a \\ backslash\nand a newline.') {
  const ours = new MetricFamily<'account' | 'status'>({ name: `t_${type}`, help, type, labelNames: ['account', 'status'], registers: [] });
  const registry = new Registry();
  const theirs =
    type === 'gauge'
      ? new Gauge({ name: `t_${type}`, help, labelNames: ['account', 'status'], registers: [registry] })
      : new Counter({ name: `t_${type}`, help, labelNames: ['account', 'status'], registers: [registry] });
  return { ours, theirs, registry };
}

describe('MetricFamily', () => {
  test('a gauge prints what a prom-client Gauge prints after the same sets and removals', async () => {
    const { ours, theirs, registry } = twins('gauge');
    const g = theirs as Gauge<'account' | 'status'>;
    const steps: [Record<'account' | 'status', string>, number | null][] = [
      [{ account: 'a', status: '0' }, 1.5],
      [{ account: 'b "quoted"', status: 'x\\y\nz' }, -2],
      [{ account: 'a', status: '0' }, 3],
      [{ account: 'c', status: '1' }, Infinity],
      [{ account: 'd', status: '1' }, -Infinity],
      [{ account: 'a', status: '0' }, null],
      [{ account: 'a', status: '0' }, 1e-7],
      [{ account: 'e', status: '2' }, 123456789012],
    ];
    expect(renderFamilies([ours])).toBe(await registry.metrics());
    for (const [labels, value] of steps) {
      if (value === null) {
        ours.remove(labels);
        g.remove(labels);
      } else {
        ours.set(labels, value);
        g.set(labels, value);
      }
      expect(renderFamilies([ours])).toBe(await registry.metrics());
    }
  });

  test('a counter prints what a prom-client Counter prints, and refuses to go down', async () => {
    const { ours, theirs, registry } = twins('counter');
    const c = theirs as Counter<'account' | 'status'>;
    for (const [labels, delta] of [
      [{ account: 'a', status: '-1' }, 0],
      [{ account: 'a', status: '-2' }, 0],
      [{ account: 'a', status: '-1' }, 1],
      [{ account: 'b', status: '-1' }, 2.5],
      [{ account: 'a', status: '-1' }, 1],
    ] as const) {
      ours.inc(labels, delta);
      c.inc(labels, delta);
      expect(renderFamilies([ours])).toBe(await registry.metrics());
    }
    expect(() => ours.inc({ account: 'a', status: '-1' }, -1)).toThrow(/cannot decrease/);
  });

  test('refuses a label it was not declared with', () => {
    const { ours } = twins('gauge');
    expect(() => ours.set({ account: 'a', status: '0', other: 'x' } as never, 1)).toThrow(/label "other"/);
  });
});

describe('BalanceCollector.render', () => {
  const accounts: Account[] = [
    { name: 'shop', apiKey: 'k1', apiSecret: 's1', baseUrl: 'http://x', lowBalanceThreshold: 50 },
    { name: 'otp', apiKey: 'k2', apiSecret: 's2', baseUrl: 'http://x' },
  ];

  test('is the registry text, byte for byte, through successes, failures, expiry and account changes', async () => {
    let now = 1_700_000_000_000;
    const registry = new Registry();
    const collector = new BalanceCollector({ registry, accounts, maxAgeMs: 60_000, pollDescription: 'every 1m', version: '1.2.3', now: () => now });
    const [shop, otp] = accounts as [Account, Account];
    const check = async (): Promise<void> => expect(collector.render()).toBe(await registry.metrics());
    await check();
    collector.record({ account: shop, outcome: { kind: 'success', balance: 99.99, gift: 50, credit: 0 }, startedAt: now, finishedAt: now + 0.2 * 1000, finishedSteadyMs: now + 0.2 * 1000, durationSeconds: 0.2 });
    await check();
    collector.record({ account: otp, outcome: { kind: 'api_error', status: '-77', reason: 'odd' }, startedAt: now, finishedAt: now + 0.1 * 1000, finishedSteadyMs: now + 0.1 * 1000, durationSeconds: 0.1 });
    collector.record({ account: otp, outcome: { kind: 'failure', reason: 'timeout', detail: 'slow' }, startedAt: now, finishedAt: now + 10 * 1000, finishedSteadyMs: now + 10 * 1000, durationSeconds: 10 });
    await check();
    now += 120_000;
    collector.expireStale();
    await check();
    collector.setAccounts([otp]);
    await check();
    collector.setAccounts(accounts);
    collector.record({ account: shop, outcome: { kind: 'success', balance: -5, gift: 0, credit: 100 }, startedAt: now, finishedAt: now + 0.3 * 1000, finishedSteadyMs: now + 0.3 * 1000, durationSeconds: 0.3 });
    await check();
    expect(collector.render()).toContain('itniotech_balance{account="shop"} -5');
  });
});
