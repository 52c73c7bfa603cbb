import { crc32, gunzipSync, inflateRawSync } from 'node:zlib';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Account } from '../../src/config/account';
import { AccountStore } from '../../src/store/account-store';
import { BalanceCollector } from '../../src/metrics/collector';
import { MetricsRenderer, type MetricsSource, type RendererOptions } from '../../src/metrics/exposition';

/** A source owning the gauges it was given, with a change count per gauge, like the collector. */
class FakeSource implements MetricsSource {
  readonly registry = new Registry();
  private readonly changes = new Map<string, number>();
  private listeners: (() => void)[] = [];
  private total = 0;

  own(name: string, collect?: () => void): Gauge<'account'> {
    this.changes.set(name, 0);
    return new Gauge({
      name,
      help: `${name}.`,
      labelNames: ['account'],
      registers: [this.registry],
      ...(collect ? { collect } : {}),
    });
  }

  changed(name: string): void {
    this.changes.set(name, (this.changes.get(name) ?? 0) + 1);
    this.total++;
    for (const listener of this.listeners) listener();
  }

  changeCount(): number {
    return this.total;
  }

  metricChangeCount(name: string): number | undefined {
    return this.changes.get(name);
  }

  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }
}

function setup(options: RendererOptions = {}) {
  let now = 1_700_000_000_000;
  const source = new FakeSource();
  const gauge = source.own('itniotech_balance');
  const processRegistry = new Registry();
  let processReads = 0;
  new Gauge({
    name: 'process_reads',
    help: 'How often the process metrics were read.',
    registers: [processRegistry],
    collect() {
      this.set(++processReads);
    },
  });
  let polling = false;
  // Background rebuilds come from scrapes here, not from timers.
  const renderer = new MetricsRenderer(source, processRegistry, {
    now: () => now,
    pollsRunning: () => polling,
    renderQuietMs: 60_000,
    renderMaxDelayMs: 60_000,
    ...options,
  });
  const setBalance = (value: number): void => {
    gauge.set({ account: 'shop' }, value);
    source.changed('itniotech_balance');
  };
  return {
    source,
    renderer,
    setBalance,
    advance: (ms: number) => (now += ms),
    processReads: () => processReads,
    setPolling: (value: boolean) => (polling = value),
  };
}

/** Resolves once `check` holds, checking every 10 ms (gives up after about 10 s, however busy the machine). */
async function until(check: () => Promise<boolean> | boolean): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('condition not met in time');
}

/**
 * Whether `promise` settles while something it must not wait for is held back: a generous
 * limit, since the held-back work cannot finish on its own, so only a wrong answer waits this long.
 */
const settled = <T>(promise: Promise<T>): Promise<'settled' | 'pending'> =>
  Promise.race([
    promise.then(() => 'settled' as const),
    new Promise<'pending'>((resolve) => setTimeout(() => resolve('pending'), 10_000).unref()),
  ]);

describe('MetricsRenderer', () => {
  test('gzip payload is one gzip stream holding exactly the identity text', async () => {
    const { renderer, setBalance } = setup();
    setBalance(12.5);
    const identity = await renderer.payload(false);
    const gzip = await renderer.payload(true);
    expect(identity.toString()).toContain('itniotech_balance{account="shop"} 12.5\n');
    expect(identity.toString()).toContain('process_reads 1\n');
    expect(gunzipSync(gzip)).toEqual(identity);
    // One member: the deflate data between header and trailer is the whole text, and the
    // trailer's CRC and length are those of the whole text.
    expect(inflateRawSync(gzip.subarray(10, gzip.length - 8))).toEqual(identity);
    expect(gzip.readUInt32LE(gzip.length - 8)).toBe(crc32(identity));
    expect(gzip.readUInt32LE(gzip.length - 4)).toBe(identity.length);
  });

  test('serves the same bytes until the source changes, then (no poll running) the new values', async () => {
    const { renderer, setBalance } = setup();
    setBalance(1);
    const first = await renderer.payload(true);
    expect(await renderer.payload(true)).toBe(first);
    setBalance(2);
    const second = await renderer.payload(true);
    expect(second).not.toBe(first);
    expect(gunzipSync(second).toString()).toContain('itniotech_balance{account="shop"} 2\n');
    expect(await renderer.render()).toBe(gunzipSync(second).toString());
  });

  test('the text is what prom-client prints, byte for byte, through successes, failures, expiry and account changes', async () => {
    let now = 1_700_000_000_000;
    const accounts: Account[] = [
      { name: 'shop', apiKey: 'k1', apiSecret: 's1', baseUrl: 'http://x', lowBalanceThreshold: 50 },
      { name: 'otp "quoted" \\ back\nslash', apiKey: 'k2', apiSecret: 's2', baseUrl: 'http://x' },
    ];
    const [shop, otp] = accounts as [Account, Account];
    const registry = new Registry();
    const store = new AccountStore({ accounts, maxAgeMs: 60_000, now: () => now });
    const collector = new BalanceCollector({ registry, store, maxAgeMs: 60_000, version: '1.2.3', now: () => now });
    new Counter({
      name: 'someone_elses_total',
      help: 'Not the collector\'s: "quoted" \\ and\nnewline.',
      labelNames: ['x'],
      registers: [registry],
    }).inc({ x: 'a' }, 2);
    const processRegistry = new Registry();
    const renderer = new MetricsRenderer(collector, processRegistry, { now: () => now });
    const check = async (): Promise<void> =>
      expect(await renderer.render()).toBe((await registry.metrics()) + (await processRegistry.metrics()));
    try {
      await check();
      store.record({
        target: store.target(shop.name),
        account: shop,
        outcome: { kind: 'success', balance: 99.99, gift: 50, credit: Infinity },
        startedAt: now,
        finishedAt: now + 0.2 * 1000,
        finishedSteadyMs: now + 0.2 * 1000,
        durationSeconds: 0.2,
      });
      await check();
      store.record({
        target: store.target(otp.name),
        account: otp,
        outcome: { kind: 'api_error', status: '-77', reason: 'odd' },
        startedAt: now,
        finishedAt: now + 0.1 * 1000,
        finishedSteadyMs: now + 0.1 * 1000,
        durationSeconds: 0.1,
      });
      store.record({
        target: store.target(otp.name),
        account: otp,
        outcome: { kind: 'failure', reason: 'timeout', detail: 'slow' },
        startedAt: now,
        finishedAt: now + 10 * 1000,
        finishedSteadyMs: now + 10 * 1000,
        durationSeconds: 10,
      });
      await check();
      now += 120_000;
      collector.expireStale();
      await check();
      store.setAccounts([otp]);
      await check();
      store.setAccounts(accounts);
      store.record({
        target: store.target(shop.name),
        account: shop,
        outcome: { kind: 'success', balance: -5, gift: 1e-7, credit: NaN },
        startedAt: now,
        finishedAt: now + 0.3 * 1000,
        finishedSteadyMs: now + 0.3 * 1000,
        durationSeconds: 0.3,
      });
      await check();
      expect(await renderer.render()).toContain('itniotech_balance{account="shop"} -5\n');
    } finally {
      renderer.close();
    }
  });

  test("formats again only the source's metrics that changed, and every other metric on every rebuild", async () => {
    const reads = { a: 0, b: 0, foreign: 0 };
    const source = new FakeSource();
    const a = source.own('a', () => void reads.a++);
    source.own('b', () => void reads.b++);
    new Gauge({
      name: 'foreign',
      help: 'Registered by someone else.',
      registers: [source.registry],
      collect: () => void reads.foreign++,
    });
    const renderer = new MetricsRenderer(source, new Registry());
    await renderer.payload(true);
    expect(reads).toEqual({ a: 1, b: 1, foreign: 1 });
    a.set({ account: 'x' }, 1);
    source.changed('a');
    expect(await renderer.render()).toContain('a{account="x"} 1\n');
    expect(reads).toEqual({ a: 2, b: 1, foreign: 2 });
    renderer.close();
  });

  test('reads the process metrics at most once per max age, and refreshes stale bytes in the background', async () => {
    const { renderer, advance, processReads } = setup({ processMaxAgeMs: 1000 });
    await Promise.all([renderer.payload(true), renderer.payload(false), renderer.payload(true)]);
    expect(processReads()).toBe(1);
    advance(999);
    await renderer.payload(false);
    expect(processReads()).toBe(1);
    advance(1);
    // Served at once from the old bytes; the rebuild it started brings the new read.
    expect(await renderer.render()).toContain('process_reads 1\n');
    await until(async () => (await renderer.render()).includes('process_reads 2\n'));
    expect(processReads()).toBe(2);
  });

  test('a scrape long after the last rebuild waits for a new one when no poll runs', async () => {
    const { renderer, advance } = setup({ maxStaleMs: 2000 });
    expect(await renderer.render()).toContain('process_reads 1\n');
    advance(2001);
    expect(await renderer.render()).toContain('process_reads 2\n');
  });

  test('while polls run, a scrape gets the last bytes at once, never waiting for a rebuild', async () => {
    const source = new FakeSource();
    let release: () => void = () => undefined;
    let slow = false;
    let stuck = false;
    const balance = source.own('itniotech_balance');
    new Gauge({
      name: 'slow_to_read',
      help: 'Takes its time when asked to.',
      registers: [source.registry],
      async collect() {
        if (!slow) return;
        stuck = true;
        await new Promise<void>((resolve) => (release = resolve));
      },
    });
    let polling = false;
    const renderer = new MetricsRenderer(source, new Registry(), {
      pollsRunning: () => polling,
      renderQuietMs: 0,
      renderMaxDelayMs: 0,
    });
    balance.set({ account: 'shop' }, 1);
    source.changed('itniotech_balance');
    expect(gunzipSync(await renderer.payload(true)).toString()).toContain('itniotech_balance{account="shop"} 1\n');
    polling = true;
    slow = true;
    balance.set({ account: 'shop' }, 2);
    source.changed('itniotech_balance');
    // The change starts a rebuild, which is stuck reading slow_to_read until released.
    await until(() => stuck);
    const during = renderer.payload(true);
    expect(await settled(during)).toBe('settled');
    expect(gunzipSync(await during).toString()).toContain('itniotech_balance{account="shop"} 1\n');
    slow = false;
    release();
    await until(async () => (await renderer.render()).includes('itniotech_balance{account="shop"} 2\n'));
    renderer.close();
  });

  test('only the very first scrape, with nothing rendered yet, waits while polls run', async () => {
    const { renderer, setBalance, setPolling } = setup();
    setPolling(true);
    setBalance(3);
    expect(await renderer.render()).toContain('itniotech_balance{account="shop"} 3\n');
    setBalance(4);
    expect(await renderer.render()).toContain('itniotech_balance{account="shop"} 3\n');
    setPolling(false);
    expect(await renderer.render()).toContain('itniotech_balance{account="shop"} 4\n');
  });

  test('a metric whose collect() throws is left out and reported; the others are served', async () => {
    const errors: Array<[string, string]> = [];
    const { source, renderer, setBalance } = setup({
      onMetricError: (metric, error) => errors.push([metric, (error as Error).message]),
    });
    new Gauge({
      name: 'broken',
      help: 'Throws when read.',
      registers: [source.registry],
      collect() {
        throw new Error('broken collect');
      },
    });
    setBalance(2);
    const text = gunzipSync(await renderer.payload(true)).toString();
    expect(text).toContain('itniotech_balance{account="shop"} 2\n');
    expect(text).toContain('process_reads 1\n');
    expect(text).not.toContain('broken');
    expect(errors).toEqual([['broken', 'broken collect']]);
  });

  test('a rebuild that fails is not hidden behind old bytes: scrapes fail until one succeeds', async () => {
    const processRegistry = new Registry();
    let broken = false;
    new Gauge({
      name: 'process_x',
      help: 'Throws when told to.',
      registers: [processRegistry],
      collect() {
        if (broken) throw new Error('process metrics unreadable');
        this.set(1);
      },
    });
    const source = new FakeSource();
    const balance = source.own('itniotech_balance');
    const renderer = new MetricsRenderer(source, processRegistry, { processMaxAgeMs: 0 });
    balance.set({ account: 'shop' }, 1);
    source.changed('itniotech_balance');
    await renderer.payload(true);
    broken = true;
    balance.set({ account: 'shop' }, 2);
    source.changed('itniotech_balance');
    await expect(renderer.payload(true)).rejects.toThrow('process metrics unreadable');
    broken = false;
    expect(gunzipSync(await renderer.payload(true)).toString()).toContain('itniotech_balance{account="shop"} 2\n');
  });
});

test('a poll result recorded while a rebuild runs is in that text entirely or not at all', async () => {
  const shop: Account = { name: 'shop', apiKey: 'k', apiSecret: 's', baseUrl: 'http://x' };
  const registry = new Registry();
  const store = new AccountStore({ accounts: [shop], maxAgeMs: 60_000 });
  const collector = new BalanceCollector({ registry, store, maxAgeMs: 60_000, version: '1' });
  const renderer = new MetricsRenderer(collector, new Registry(), { renderQuietMs: 60_000, renderMaxDelayMs: 60_000 });
  const text = renderer.render();
  // The rebuild has read its values and formatted its first metric (itniotech_up) by now.
  await new Promise((resolve) => setImmediate(resolve));
  const at = Date.now();
  store.record({
    target: store.target(shop.name),
    account: shop,
    outcome: { kind: 'failure', reason: 'network', detail: 'ECONNRESET' },
    startedAt: at,
    finishedAt: at,
    finishedSteadyMs: at,
    durationSeconds: 0.1,
  });
  const during = await text;
  expect(during).not.toContain('itniotech_up{account="shop"}');
  expect(during).toContain('itniotech_request_failures_total{account="shop",reason="network"} 0\n');
  expect(during).toContain('itniotech_requests_total{account="shop"} 0\n');
  const after = await renderer.render();
  expect(after).toContain('itniotech_up{account="shop"} 0\n');
  expect(after).toContain('itniotech_request_failures_total{account="shop",reason="network"} 1\n');
  renderer.close();
});

test("a metric of someone else's removed while a rebuild runs is left out, not an error", async () => {
  const source = new FakeSource();
  let release: () => void = () => undefined;
  new Gauge({
    name: 'slow_to_read',
    help: 'Takes its time.',
    registers: [source.registry],
    async collect() {
      await new Promise<void>((resolve) => (release = resolve));
    },
  });
  new Gauge({ name: 'removed_meanwhile', help: "Not the source's either.", registers: [source.registry] }).set(1);
  const renderer = new MetricsRenderer(source, new Registry());
  const text = renderer.render();
  await new Promise((resolve) => setImmediate(resolve));
  source.registry.removeSingleMetric('removed_meanwhile');
  release();
  expect(await text).not.toContain('removed_meanwhile');
  expect(await text).toContain('# TYPE slow_to_read gauge\n');
});

describe('MetricsRenderer background rebuilds (the debounce)', () => {
  beforeEach(() => {
    // Time is the subject; zlib and the rebuild's turns of the event loop stay real.
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  /** The rebuild reads its values one turn of the event loop after it starts. */
  const aTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

  /** A source whose one metric counts how often it is formatted. */
  function counting() {
    const source = new FakeSource();
    let formats = 0;
    const gauge = source.own('itniotech_balance', () => void formats++);
    const renderer = new MetricsRenderer(source, new Registry());
    const change = (value: number): void => {
      gauge.set({ account: 'shop' }, value);
      source.changed('itniotech_balance');
    };
    return { renderer, change, formats: () => formats };
  }

  test('rebuilds 100 ms after the last change', async () => {
    const { renderer, change, formats } = counting();
    change(1);
    jest.advanceTimersByTime(60);
    change(2);
    jest.advanceTimersByTime(99);
    await aTurn();
    expect(formats()).toBe(0);
    jest.advanceTimersByTime(1);
    await aTurn();
    expect(formats()).toBe(1);
    renderer.close();
  });

  test('rebuilds at most 1 s after the first change, however often changes come', async () => {
    const { renderer, change, formats } = counting();
    for (let ms = 0; ms < 950; ms += 50) {
      change(ms);
      jest.advanceTimersByTime(50);
    }
    await aTurn();
    expect(formats()).toBe(0);
    change(950);
    jest.advanceTimersByTime(50);
    await aTurn();
    expect(formats()).toBe(1);
    renderer.close();
  });

  test('close() cancels a pending rebuild', async () => {
    const { renderer, change, formats } = counting();
    change(1);
    renderer.close();
    jest.advanceTimersByTime(2000);
    await aTurn();
    expect(formats()).toBe(0);
  });
});

test('a scrape after the rebuild a change caused finds it done', async () => {
  const source = new FakeSource();
  let formats = 0;
  const gauge = source.own('itniotech_balance', () => void formats++);
  const renderer = new MetricsRenderer(source, new Registry(), { renderQuietMs: 0, renderMaxDelayMs: 0 });
  gauge.set({ account: 'shop' }, 1);
  source.changed('itniotech_balance');
  await renderer.payload(false);
  expect(formats).toBe(1);
  gauge.set({ account: 'shop' }, 7);
  source.changed('itniotech_balance');
  await until(() => formats === 2);
  expect(await renderer.render()).toContain('itniotech_balance{account="shop"} 7\n');
  expect(formats).toBe(2);
  renderer.close();
});

test('a metric anyone registers with Gauge, Counter or Histogram is in the exposition', async () => {
  const source = new FakeSource();
  const processRegistry = new Registry();
  const renderer = new MetricsRenderer(source, processRegistry);
  new Gauge({ name: 'team_queue_depth', help: 'Jobs waiting.', registers: [source.registry] }).set(3);
  new Counter({ name: 'team_jobs_total', help: 'Jobs done.', registers: [source.registry] }).inc(2);
  new Histogram({
    name: 'team_job_seconds',
    help: 'Job duration.',
    buckets: [1],
    registers: [source.registry],
  }).observe(0.5);
  const text = await renderer.render();
  expect(text).toContain('team_queue_depth 3\n');
  expect(text).toContain('team_jobs_total 2\n');
  expect(text).toContain('team_job_seconds_bucket{le="1"} 1\n');
  expect(text).toBe((await source.registry.metrics()) + (await processRegistry.metrics()));
});

describe('a second source (the reload gauges)', () => {
  /** A source with one gauge read from `value`, whose change count the test moves. */
  function reloadSource(collect?: (gauge: Gauge, value: number) => Promise<void> | void) {
    const registry = new Registry();
    const state = { value: 1, changes: 0 };
    const listeners: (() => void)[] = [];
    new Gauge({
      name: 'itniotech_exporter_config_last_reload_successful',
      help: 'Reload outcome.',
      registers: [registry],
      async collect() {
        if (collect) await collect(this, state.value);
        else this.set(state.value);
      },
    });
    const source: MetricsSource = {
      registry,
      changeCount: () => state.changes,
      onChange: (listener) => void listeners.push(listener),
    };
    const set = (value: number): void => {
      state.value = value;
      state.changes++;
      for (const listener of listeners) listener();
    };
    return { source, set };
  }

  test('is rendered after the first and before the process metrics', async () => {
    const { source, set } = reloadSource();
    const first = new FakeSource();
    first.own('itniotech_balance').set({ account: 'shop' }, 3);
    const processRegistry = new Registry();
    new Gauge({ name: 'process_x', help: 'x.', registers: [processRegistry] }).set(2);
    const renderer = new MetricsRenderer([first, source], processRegistry);
    set(0);
    expect(await renderer.render()).toBe(
      (await first.registry.metrics()) + (await source.registry.metrics()) + (await processRegistry.metrics()),
    );
  });

  test('a rebuild already running when it changes is not kept as current', async () => {
    let release: (() => void) | undefined;
    let slow = true;
    const { source, set } = reloadSource(async (gauge, value) => {
      if (slow) await new Promise<void>((resolve) => (release = resolve));
      gauge.set(value);
    });
    const renderer = new MetricsRenderer([new FakeSource(), source], new Registry(), {
      renderQuietMs: 60_000,
      renderMaxDelayMs: 60_000,
    });
    const before = renderer.payload(false);
    // The rebuild is reading the gauge (with the old value) when the reload changes it.
    await until(() => release !== undefined);
    set(0);
    slow = false;
    release?.();
    expect((await before).toString()).toContain('itniotech_exporter_config_last_reload_successful 1\n');
    expect(await renderer.render()).toContain('itniotech_exporter_config_last_reload_successful 0\n');
  });

  test('while polls run, it shows after the background rebuild, without a scrape waiting', async () => {
    const { source, set } = reloadSource();
    const renderer = new MetricsRenderer([new FakeSource(), source], new Registry(), {
      pollsRunning: () => true,
      renderQuietMs: 0,
      renderMaxDelayMs: 0,
    });
    expect(await renderer.render()).toContain('itniotech_exporter_config_last_reload_successful 1\n');
    set(0);
    expect(await renderer.render()).toContain('itniotech_exporter_config_last_reload_successful 1\n');
    await until(async () => (await renderer.render()).includes('itniotech_exporter_config_last_reload_successful 0\n'));
  });
});
