import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Gauge } from 'prom-client';
import type { PollKindState } from '../../src/store/account-store';
import { startExporter, type RunningExporter } from '../../src/exporter/start-exporter';
import type { PollPlugin } from '../../src/exporter/poll-kinds';
import { createLogger } from '../../src/log/logger';
import { storeGauge } from '../../src/metrics/store-metric';
import type { PollKind } from '../../src/polling/kind';
import { startSimulator, type Simulator } from '../../src/simulator/simulator';
import { ACCOUNT_A, ACCOUNT_B, minuteConfigFor } from '../support/exporter-harness';
import { capturedLogger } from '../support/captured-logger';
import { eventually } from '../support/exporter-process';
import { handTicked } from '../support/hand-ticked';
import { fetchUrl } from '../support/https-request';

/**
 * The seam for a second kind of poll (docs/architecture.md): a fake kind plugged into a real
 * exporter beside getBalance, with its own schedule, state slot and derived metric, sharing the
 * poller, the store and the -15 back-off of each account's key.
 */
type FakeOutcome =
  | { kind: 'success'; items: number }
  | { kind: 'api_error'; status: string }
  | { kind: 'failure'; reason: string }
  | { kind: 'aborted' };

interface FakeSlot {
  polls: number;
  lastOk: boolean;
  items?: number;
}

const FAKE = 'fake_items';

function fakePlugin(answers: Map<string, FakeOutcome>, polled: string[]): PollPlugin {
  const kind: PollKind<FakeOutcome> = {
    name: FAKE,
    poll: async (account) => {
      polled.push(account.name);
      return answers.get(account.name) ?? { kind: 'failure', reason: 'network' };
    },
  };
  const state: PollKindState<FakeSlot> = {
    name: FAKE,
    record: (previous, result) => {
      const outcome = result.outcome as FakeOutcome;
      return {
        polls: (previous?.polls ?? 0) + 1,
        lastOk: outcome.kind === 'success',
        ...(outcome.kind === 'success'
          ? { items: outcome.items }
          : previous?.items !== undefined
            ? { items: previous.items }
            : {}),
      };
    },
  };
  return {
    kind,
    schedule: '0 0 * * *',
    state,
    registerMetrics: (registry, reader) =>
      storeGauge({
        registry,
        reader,
        name: 'fake_items',
        help: 'Items of the fake second kind of poll.',
        labelNames: ['account'],
        samples: (accounts) =>
          accounts.flatMap((a) => {
            const slot = a.slots.get(FAKE) as FakeSlot | undefined;
            return slot?.items === undefined ? [] : [[{ account: a.account.name }, slot.items] as const];
          }),
      }),
  };
}

describe('a second kind of poll plugged in', () => {
  const dir = mkdtempSync(join(tmpdir(), 'itniotech-kinds-'));
  let simulator: Simulator;
  let exporter: RunningExporter;
  let clock = Date.now();
  const balanceTicks = handTicked();
  const fakeTicks = handTicked();
  const answers = new Map<string, FakeOutcome>([
    ['alpha', { kind: 'success', items: 3 }],
    ['bravo', { kind: 'success', items: 7 }],
  ]);
  const polled: string[] = [];

  const idle = (): Promise<true> =>
    eventually(() => (exporter.poller.busy ? undefined : true), 'every queued poll to finish');
  const metrics = async (): Promise<string> => (await fetchUrl(`${exporter.url}/metrics`)).body;
  const sample = (text: string, series: string): string | undefined =>
    text
      .split('\n')
      .find((l) => l.startsWith(`${series} `))
      ?.split(' ')[1];

  beforeAll(async () => {
    simulator = await startSimulator({ accounts: [ACCOUNT_A, ACCOUNT_B], now: () => clock });
    const config = minuteConfigFor(dir, simulator, [
      ['alpha', ACCOUNT_A],
      ['bravo', ACCOUNT_B],
    ]);
    exporter = await startExporter(config, {
      logger: createLogger('silent'),
      scheduler: balanceTicks,
      schedulers: { [FAKE]: fakeTicks },
      extraPolls: [fakePlugin(answers, polled)],
      now: () => clock,
    });
    await idle();
  });
  afterAll(async () => {
    await exporter?.close();
    await simulator?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('polled at start-up and on its own schedule, into its own slot and its own derived metric', async () => {
    expect([...polled].sort()).toEqual(['alpha', 'bravo']);
    expect(exporter.accounts.slot<FakeSlot>('alpha', FAKE)).toEqual({ polls: 1, lastOk: true, items: 3 });
    const before = simulator.requestCount();
    fakeTicks.tick();
    await idle();
    expect(polled).toHaveLength(4);
    // Its tick sent no getBalance request.
    expect(simulator.requestCount()).toBe(before);
    answers.set('bravo', { kind: 'success', items: 9 });
    fakeTicks.tick();
    await idle();
    const text = await metrics();
    expect(sample(text, 'fake_items{account="alpha"}')).toBe('3');
    expect(sample(text, 'fake_items{account="bravo"}')).toBe('9');
    // getBalance's requests counter counts getBalance only.
    expect(sample(text, 'itniotech_requests_total{account="alpha"}')).toBe('1');
  });

  test('a failing poll of the second kind leaves itniotech_up and the balance state alone', async () => {
    answers.set('alpha', { kind: 'failure', reason: 'timeout' });
    const balanceBefore = exporter.accounts.get('alpha');
    fakeTicks.tick();
    await idle();
    expect(exporter.accounts.slot<FakeSlot>('alpha', FAKE)).toMatchObject({ lastOk: false, items: 3 });
    expect(exporter.accounts.get('alpha')).toEqual(balanceBefore);
    const text = await metrics();
    expect(sample(text, 'itniotech_up{account="alpha"}')).toBe('1');
    expect(sample(text, 'itniotech_request_failures_total{account="alpha",reason="timeout"}')).toBe('0');
    expect(sample(text, 'fake_items{account="alpha"}')).toBe('3');
  });

  test('a -15 from the second kind backs off both kinds for that key, and only that key', async () => {
    answers.set('alpha', { kind: 'api_error', status: '-15' });
    fakeTicks.tick();
    await idle();
    expect(exporter.accounts.get('alpha')?.backoff?.seconds).toBe(120);
    expect(sample(await metrics(), 'itniotech_poll_backoff_seconds{account="alpha"}')).toBe('120');
    // One minute on: both kinds skip alpha, both still poll bravo.
    clock += 60_000;
    const alphaBalance = simulator.requestCount(ACCOUNT_A.apiKey);
    const bravoBalance = simulator.requestCount(ACCOUNT_B.apiKey);
    const fakeBefore = polled.length;
    balanceTicks.tick();
    fakeTicks.tick();
    await idle();
    expect(simulator.requestCount(ACCOUNT_A.apiKey)).toBe(alphaBalance);
    expect(simulator.requestCount(ACCOUNT_B.apiKey)).toBe(bravoBalance + 1);
    expect(polled.slice(fakeBefore)).toEqual(['bravo']);
    // Two minutes after the -15, getBalance polls alpha again; its answer ends the back-off for both.
    clock += 60_000;
    balanceTicks.tick();
    await idle();
    expect(simulator.requestCount(ACCOUNT_A.apiKey)).toBe(alphaBalance + 1);
    expect(exporter.accounts.get('alpha')?.backoff).toBeUndefined();
    expect(sample(await metrics(), 'itniotech_poll_backoff_seconds{account="alpha"}')).toBe('0');
  });
});

describe('a plugin metric that fails to compute', () => {
  const dir = mkdtempSync(join(tmpdir(), 'itniotech-kinds-broken-'));
  let simulator: Simulator;
  let exporter: RunningExporter;
  const { logger, lines } = capturedLogger('info');
  const failedMetrics = (): unknown[] =>
    lines.filter((l) => l.msg === 'computing a metric failed').map((l) => [l.metric, l.err]);

  /** A raw prom-client Gauge whose collect() throws, and a storeGauge whose computation throws. */
  const brokenPlugin: PollPlugin = {
    kind: { name: 'broken', poll: async () => ({ kind: 'failure', reason: 'network' }) },
    schedule: '0 0 * * *',
    registerMetrics: (registry, reader, onError) => {
      new Gauge({
        name: 'broken_collect',
        help: 'A gauge whose collect throws.',
        registers: [registry],
        collect() {
          throw new Error('collect exploded');
        },
      });
      storeGauge({
        registry,
        reader,
        onError,
        name: 'broken_items',
        help: 'A store gauge whose computation throws.',
        labelNames: ['account'],
        samples: () => {
          throw new Error('no slot to read');
        },
      });
    },
  };

  beforeAll(async () => {
    simulator = await startSimulator({ accounts: [ACCOUNT_A] });
    const config = minuteConfigFor(dir, simulator, [['alpha', ACCOUNT_A]]);
    exporter = await startExporter(config, {
      logger,
      scheduler: handTicked(),
      schedulers: { broken: handTicked() },
      extraPolls: [brokenPlugin],
    });
    await eventually(() => (exporter.poller.busy ? undefined : true), 'the start-up polls to finish');
  });
  afterAll(async () => {
    await exporter?.close();
    await simulator?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('/metrics still answers 200 with every other family, and each failure is logged once', async () => {
    for (let round = 0; round < 3; round++) {
      // A poll changes the store, so the scrape after it waits for a rebuild that reads every metric again.
      await exporter.poller.pollAll();
      const res = await fetchUrl(`${exporter.url}/metrics`);
      expect(res.status).toBe(200);
      for (const family of [
        'itniotech_up',
        'itniotech_balance',
        'itniotech_requests_total',
        'itniotech_exporter_build_info',
        'itniotech_exporter_config_last_reload_successful',
        'process_cpu_user_seconds_total',
      ])
        expect(res.body).toContain(`# TYPE ${family} `);
      expect(res.body).not.toContain('broken_collect');
      expect(res.body).toContain('# TYPE broken_items gauge');
      expect(res.body).not.toMatch(/^broken_items\{/m);
    }
    expect(failedMetrics().sort()).toEqual([
      ['broken_collect', 'collect exploded'],
      ['broken_items', 'no slot to read'],
    ]);
  });
});
