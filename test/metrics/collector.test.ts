import { Counter, Gauge, Registry } from 'prom-client';
import type { Account } from '../../src/config/account';
import { AccountStore } from '../../src/store/account-store';
import { BalanceCollector, MAX_UNKNOWN_STATUSES } from '../../src/metrics/collector';
import type { BalanceOutcome } from '../../src/itnio/client';

const shop: Account = {
  name: 'shop',
  apiKey: 'k-shop',
  apiSecret: 'secret-shop',
  baseUrl: 'http://x',
  lowBalanceThreshold: 50,
};
const otp: Account = { name: 'otp', apiKey: 'k-otp', apiSecret: 'secret-otp', baseUrl: 'http://x' };

function setup(accounts: Account[] = [shop, otp]) {
  let now = 1_700_000_000_000;
  const registry = new Registry();
  const store = new AccountStore({
    accounts,
    maxAgeMs: 3_600_000,
    now: () => now,
    backoff: { gapMs: 60_000, maxAgeMs: 3_600_000 },
  });
  const collector = new BalanceCollector({ registry, store, maxAgeMs: 3_600_000, version: '9.9.9', now: () => now });
  const record = (account: Account, outcome: BalanceOutcome, durationSeconds = 0.25): void => {
    store.record({
      target: store.target(account.name),
      account,
      outcome,
      startedAt: now,
      finishedAt: now + durationSeconds * 1000,
      finishedSteadyMs: now + durationSeconds * 1000,
      durationSeconds,
    });
  };
  /** Sample values by metric name and label set, read back from the registry's text output. */
  const sample = async (name: string, labels: string): Promise<number | undefined> => {
    const text = await registry.metrics();
    const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}} `));
    return line === undefined ? undefined : Number(line.split(' ')[1]);
  };
  return { registry, store, collector, record, sample, advance: (ms: number) => (now += ms), now: () => now };
}

const ok = (balance: number): BalanceOutcome => ({ kind: 'success', balance, gift: 5, credit: 10 });

describe('BalanceCollector', () => {
  test('from start-up: zeroed error counters for every documented status and reason, threshold when configured', async () => {
    const { sample } = setup();
    // ITNIO's status table (../shared/docs/itnio-api.md), written out rather than read from the code.
    for (const status of ['-1', '-2', '-10', '-12', '-13', '-15', '-16', '-18', '-29', '-30', '-31', '-32']) {
      expect(await sample('itniotech_api_errors_total', `account="shop",status="${status}"`)).toBe(0);
    }
    for (const reason of ['timeout', 'network', 'http_status', 'invalid_response']) {
      expect(await sample('itniotech_request_failures_total', `account="otp",reason="${reason}"`)).toBe(0);
    }
    expect(await sample('itniotech_requests_total', 'account="otp"')).toBe(0);
    expect(await sample('itniotech_balance_low_threshold', 'account="shop"')).toBe(50);
    expect(await sample('itniotech_balance_low_threshold', 'account="otp"')).toBeUndefined();
    expect(await sample('itniotech_up', 'account="shop"')).toBeUndefined();
    expect(await sample('itniotech_poll_backoff_seconds', 'account="shop"')).toBe(0);
    expect(await sample('itniotech_poll_backoff_seconds', 'account="otp"')).toBe(0);
    expect(await sample('itniotech_exporter_build_info', `version="9.9.9",nodejs_version="${process.version}"`)).toBe(
      1,
    );
  });

  test('a success sets the values; a failure keeps them and sets up to 0', async () => {
    const t = setup();
    t.record(shop, ok(99.99));
    expect(await t.sample('itniotech_up', 'account="shop"')).toBe(1);
    expect(await t.sample('itniotech_balance', 'account="shop"')).toBe(99.99);
    expect(await t.sample('itniotech_gift_balance', 'account="shop"')).toBe(5);
    expect(await t.sample('itniotech_credit_limit', 'account="shop"')).toBe(10);
    expect(await t.sample('itniotech_poll_duration_seconds', 'account="shop"')).toBe(0.25);
    expect(await t.sample('itniotech_last_success_timestamp_seconds', 'account="shop"')).toBe((t.now() + 250) / 1000);

    t.advance(60_000);
    t.record(shop, { kind: 'api_error', status: '-16', reason: 'timestamp expires' });
    t.record(shop, { kind: 'failure', reason: 'timeout', detail: 'x' });
    expect(await t.sample('itniotech_up', 'account="shop"')).toBe(0);
    expect(await t.sample('itniotech_balance', 'account="shop"')).toBe(99.99);
    expect(await t.sample('itniotech_api_errors_total', 'account="shop",status="-16"')).toBe(1);
    expect(await t.sample('itniotech_request_failures_total', 'account="shop",reason="timeout"')).toBe(1);
    expect(await t.sample('itniotech_requests_total', 'account="shop"')).toBe(3);
  });

  test('a negative balance is exported as is', async () => {
    const t = setup();
    t.record(shop, ok(-12.5));
    expect(await t.sample('itniotech_balance', 'account="shop"')).toBe(-12.5);
  });

  test('balance series disappear once the last success is older than the maximum age', async () => {
    const t = setup();
    t.record(shop, ok(10));
    t.advance(3_600_000);
    t.record(shop, { kind: 'failure', reason: 'network', detail: 'ECONNREFUSED' });
    expect(await t.sample('itniotech_balance', 'account="shop"')).toBe(10);
    t.advance(1000);
    t.collector.expireStale();
    expect(await t.sample('itniotech_balance', 'account="shop"')).toBeUndefined();
    expect(await t.sample('itniotech_gift_balance', 'account="shop"')).toBeUndefined();
    expect(await t.sample('itniotech_credit_limit', 'account="shop"')).toBeUndefined();
    // The age of the data stays visible, so staleness can still be alerted on.
    expect(await t.sample('itniotech_last_success_timestamp_seconds', 'account="shop"')).toBeDefined();
    t.record(shop, ok(11));
    expect(await t.sample('itniotech_balance', 'account="shop"')).toBe(11);
  });

  test('unknown status codes appear when seen, bounded per account', async () => {
    const t = setup();
    t.record(otp, { kind: 'api_error', status: '-99', reason: '' });
    expect(await t.sample('itniotech_api_errors_total', 'account="otp",status="-99"')).toBe(1);
    for (let i = 0; i < MAX_UNKNOWN_STATUSES + 5; i++)
      t.record(otp, { kind: 'api_error', status: String(-1000 - i), reason: '' });
    const text = await t.registry.metrics();
    const statuses = text.split('\n').filter((l) => l.startsWith('itniotech_api_errors_total{account="otp"'));
    // The 12 statuses of ITNIO's table, the first MAX_UNKNOWN_STATUSES undocumented ones, "other".
    expect(statuses.length).toBe(12 + MAX_UNKNOWN_STATUSES + 1);
    expect(await t.sample('itniotech_api_errors_total', 'account="otp",status="other"')).toBe(6);
  });

  test('aborted polls change nothing', async () => {
    const t = setup();
    const before = t.collector.changeCount();
    t.record(shop, { kind: 'aborted' });
    expect(t.collector.changeCount()).toBe(before);
    expect(await t.sample('itniotech_requests_total', 'account="shop"')).toBe(0);
  });

  test('setAccounts keeps counters of accounts that stay and removes the others', async () => {
    const t = setup();
    t.record(shop, ok(1));
    t.record(otp, { kind: 'api_error', status: '-42', reason: '' });
    t.store.setAccounts([{ ...shop, lowBalanceThreshold: 70 }]);
    expect(await t.sample('itniotech_requests_total', 'account="shop"')).toBe(1);
    expect(await t.sample('itniotech_balance_low_threshold', 'account="shop"')).toBe(70);
    expect((await t.registry.metrics()).includes('account="otp"')).toBe(false);
  });

  test('HELP says the values are cached from a background poll, and names no deployment setting; no secret anywhere', async () => {
    const t = setup();
    t.record(shop, ok(1));
    const text = await t.registry.metrics();
    expect(text).toContain(
      '# HELP itniotech_balance Paid account balance from the last successful poll. Cached from a background getBalance poll, not fetched at scrape time.\n',
    );
    const helps = text.split('\n').filter((l) => l.startsWith('# HELP '));
    expect(helps).toHaveLength(12);
    for (const help of helps) expect(help).not.toMatch(/every|cron|\d+\s*(s|m|h)\b/);
    for (const secret of ['secret-shop', 'k-shop', 'secret-otp', 'k-otp']) expect(text).not.toContain(secret);
  });

  test('HELP is the same whatever the configuration', async () => {
    const helps = async (accounts: Account[], maxAgeMs: number): Promise<string[]> => {
      const registry = new Registry();
      new BalanceCollector({ registry, store: new AccountStore({ accounts, maxAgeMs }), maxAgeMs, version: '1' });
      return (await registry.metrics()).split('\n').filter((l) => l.startsWith('# HELP '));
    };
    expect(await helps([shop], 60_000)).toEqual(await helps([otp], 86_400_000));
  });

  test("registers prom-client's own Gauge and Counter objects on the registry it is given", () => {
    const t = setup();
    expect(t.registry.getSingleMetric('itniotech_balance')).toBeInstanceOf(Gauge);
    expect(t.registry.getSingleMetric('itniotech_up')).toBeInstanceOf(Gauge);
    expect(t.registry.getSingleMetric('itniotech_requests_total')).toBeInstanceOf(Counter);
    expect(t.registry.getSingleMetric('itniotech_api_errors_total')).toBeInstanceOf(Counter);
    expect(t.registry.getMetricsAsArray().map((m) => m.name)).toEqual([
      'itniotech_up',
      'itniotech_balance',
      'itniotech_gift_balance',
      'itniotech_credit_limit',
      'itniotech_api_errors_total',
      'itniotech_request_failures_total',
      'itniotech_requests_total',
      'itniotech_poll_duration_seconds',
      'itniotech_last_success_timestamp_seconds',
      'itniotech_balance_low_threshold',
      'itniotech_poll_backoff_seconds',
      'itniotech_exporter_build_info',
    ]);
  });

  test('the back-off gauge follows the poll results, per account, and survives a reload of its account', async () => {
    const t = setup();
    const limited: BalanceOutcome = { kind: 'api_error', status: '-15', reason: 'frequent query' };
    // Two -15 answers in a row: the interval is four gaps.
    t.record(shop, limited, 0);
    t.record(shop, limited, 0);
    const at = t.now();
    expect(await t.sample('itniotech_poll_backoff_seconds', 'account="shop"')).toBe(240);
    expect(await t.sample('itniotech_poll_backoff_seconds', 'account="otp"')).toBe(0);
    expect(t.store.get('shop')?.backoff).toEqual({ seconds: 240, streak: 2, nextPollMs: at + 240_000 });
    t.store.setAccounts([shop, otp]);
    expect(await t.sample('itniotech_poll_backoff_seconds', 'account="shop"')).toBe(240);
    t.record(shop, ok(1), 0);
    expect(await t.sample('itniotech_poll_backoff_seconds', 'account="shop"')).toBe(0);
    expect(t.store.get('shop')?.backoff).toBeUndefined();
    t.store.setAccounts([otp]);
    expect(await t.sample('itniotech_poll_backoff_seconds', 'account="shop"')).toBeUndefined();
  });

  test('says which of its metrics changed, and calls its listeners once per change', () => {
    const t = setup();
    let calls = 0;
    t.collector.onChange(() => calls++);
    const counts = (): Record<string, number | undefined> =>
      Object.fromEntries(
        ['itniotech_balance', 'itniotech_api_errors_total', 'itniotech_exporter_build_info'].map((n) => [
          n,
          t.collector.metricChangeCount(n),
        ]),
      );
    const before = counts();
    t.record(shop, ok(3));
    expect(calls).toBe(1);
    const afterSuccess = counts();
    expect(afterSuccess.itniotech_balance).toBeGreaterThan(before.itniotech_balance as number);
    expect(afterSuccess.itniotech_api_errors_total).toBe(before.itniotech_api_errors_total);
    expect(afterSuccess.itniotech_exporter_build_info).toBe(before.itniotech_exporter_build_info);
    t.record(shop, { kind: 'api_error', status: '-1', reason: '' });
    expect(counts().itniotech_api_errors_total).toBeGreaterThan(afterSuccess.itniotech_api_errors_total as number);
    expect(counts().itniotech_balance).toBe(afterSuccess.itniotech_balance);
    // Not the collector's: the exposition renders such a metric on every rebuild.
    expect(t.collector.metricChangeCount('process_cpu_seconds_total')).toBeUndefined();
    // The last success finished 250 ms after it started.
    t.advance(3_600_251);
    t.collector.expireStale();
    expect(counts().itniotech_balance).toBeGreaterThan(afterSuccess.itniotech_balance as number);
    expect(calls).toBe(3);
    t.collector.expireStale();
    expect(calls).toBe(3);
  });
});

test('a poll that outlives its account (removed by a reload) does not bring its series back', async () => {
  const t = setup();
  const late = t.store.target('otp');
  t.store.setAccounts([shop]);
  t.store.record({
    target: late,
    account: otp,
    outcome: ok(5),
    startedAt: 0,
    finishedAt: 0,
    finishedSteadyMs: 0,
    durationSeconds: 0,
  });
  const text = await t.registry.metrics();
  expect(text).not.toContain('account="otp"');
});
