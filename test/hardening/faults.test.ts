import { mkdtempSync, rmSync } from 'node:fs';
import type { LookupFunction } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { Account } from '../../src/config/account';
import { loadConfig, type CliCommand, type ExporterConfig } from '../../src/config/config';
import { startExporter } from '../../src/exporter/start-exporter';
import { createBalanceClient } from '../../src/itnio/client';
import { createLogger } from '../../src/log/logger';
import type { Scheduler } from '../../src/polling/scheduler';
import { startSimulator, type Fault, type Simulator } from '../../src/simulator/simulator';
import { eventually, startExporterProcess, type ExporterProcess } from '../support/exporter-process';
import { runCli } from '../support/run-cli';
import { scrapeSamples } from '../support/scrape';
import { makeSelfSignedCert, startTlsFront, type SelfSignedCert, type TlsFront } from '../support/tls-fixture';

// Faults not already driven through the built process by test/integration/exporter-process.test.ts.

const KEY = 'faultKey9';
const SECRET = 'fault-secret-4e1b';
const BALANCE = 61.25;
const simulatedAccount = { apiKey: KEY, apiSecret: SECRET, balance: BALANCE, gift: 2, credit: 0, spendPerHour: 0 };
const accountEnv = (baseUrl: string): Record<string, string> => ({
  ITNIO_API_KEY: KEY,
  ITNIO_API_SECRET: SECRET,
  ITNIO_ACCOUNT: 'shop',
  ITNIO_BASE_URL: baseUrl,
});

const UP = 'itniotech_up{account="shop"}';
const BALANCE_SERIES = 'itniotech_balance{account="shop"}';
const failures = (reason: string): string => `itniotech_request_failures_total{account="shop",reason="${reason}"}`;

async function metricsOf(exporter: { url: string }): Promise<Map<string, number>> {
  return scrapeSamples(`${exporter.url}/metrics`);
}

async function untilCounterRises(
  exporter: { url: string },
  series: string,
  before: number,
): Promise<Map<string, number>> {
  return eventually(async () => {
    const samples = await metricsOf(exporter);
    return (samples.get(series) ?? 0) > before ? samples : undefined;
  }, `${series} to rise above ${before}`);
}

async function expectStillServing(url: string): Promise<void> {
  expect((await fetch(`${url}/healthz`)).status).toBe(200);
  expect((await fetch(`${url}/metrics`)).status).toBe(200);
}

function warnLinesFor(exporter: ExporterProcess, from: number): Array<Record<string, unknown>> {
  return exporter
    .logs()
    .slice(from)
    .filter((l) => l.level === 'warn' && l.account === 'shop');
}

describe('bad upstream answers through the built process', () => {
  let simulator: Simulator;
  let exporter: ExporterProcess;
  // Above the slow drip's 500 ms between bytes, so only the whole-request deadline can end it.
  const timeoutMs = 1200;

  beforeAll(async () => {
    simulator = await startSimulator({ accounts: [simulatedAccount] });
    exporter = await startExporterProcess(
      ['--poll.interval=1s', `--api.timeout=${timeoutMs}ms`],
      accountEnv(simulator.baseUrl),
    );
    await eventually(async () => ((await metricsOf(exporter)).get(UP) === 1 ? true : undefined), 'first good poll');
  });
  afterAll(async () => {
    await exporter?.stop();
    await simulator?.close();
  });
  afterEach(() => simulator.update(KEY, { fault: null, failStatus: null }));

  test.each<[string, string, Fault]>([
    ['an empty 200 body', 'invalid_response', 'empty'],
    ['a slow drip of bytes that outlasts --api.timeout', 'timeout', 'slow_drip'],
  ])('%s: counted as %s, up 0, last balance kept, warned, still serving', async (_what, reason, fault) => {
    const before = (await metricsOf(exporter)).get(failures(reason)) ?? 0;
    const logsBefore = exporter.logs().length;
    simulator.update(KEY, { fault });
    const samples = await untilCounterRises(exporter, failures(reason), before);
    expect(samples.get(UP)).toBe(0);
    expect(samples.get(BALANCE_SERIES)).toBe(BALANCE);
    const line = warnLinesFor(exporter, logsBefore).find((l) => l.reason === reason);
    expect(line).toBeDefined();
    expect(String(line?.msg)).toContain(reason);
    await expectStillServing(exporter.url);
    expect(exporter.child.exitCode).toBeNull();
  });

  test('a connection reset mid-body names the reset in the warning', async () => {
    const before = (await metricsOf(exporter)).get(failures('network')) ?? 0;
    const logsBefore = exporter.logs().length;
    simulator.update(KEY, { fault: 'reset' });
    await untilCounterRises(exporter, failures('network'), before);
    const line = warnLinesFor(exporter, logsBefore).find((l) => l.reason === 'network');
    // The socket dies after part of the body: Node reports it as an aborted or reset connection.
    expect(String(line?.detail)).toMatch(/ECONNRESET|aborted|socket hang up/i);
    await expectStillServing(exporter.url);
  });
});

describe('the simulator restarted while a poll hangs', () => {
  test('the hung poll fails, and the exporter recovers to up 1 with the new server without a restart', async () => {
    let first: Simulator | undefined = await startSimulator({ accounts: [simulatedAccount] });
    const port = Number(new URL(first.url).port);
    const exporter = await startExporterProcess(['--poll.interval=1s', '--api.timeout=30s'], accountEnv(first.baseUrl));
    let second: Simulator | undefined;
    try {
      await eventually(async () => ((await metricsOf(exporter)).get(UP) === 1 ? true : undefined), 'first good poll');
      const failedBefore = (await metricsOf(exporter)).get(failures('network')) ?? 0;
      const requestsBefore = first.requestCount();
      first.update(KEY, { fault: 'hang' });
      await eventually(
        async () => (first && first.requestCount() > requestsBefore ? true : undefined),
        'a poll to hang',
      );
      await first.close();
      first = undefined;

      const restartedBalance = BALANCE + 100;
      second = await startSimulator({ accounts: [{ ...simulatedAccount, balance: restartedBalance }], port });
      const samples = await eventually(async () => {
        const s = await metricsOf(exporter);
        return s.get(BALANCE_SERIES) === restartedBalance ? s : undefined;
      }, 'the balance from the restarted simulator');
      expect(samples.get(UP)).toBe(1);
      // The poll cut off by the shutdown is a network failure, not a hang until the 30 s timeout.
      expect(samples.get(failures('network'))).toBeGreaterThan(failedBefore);
      expect(samples.get(failures('timeout'))).toBe(0);
      expect(exporter.child.exitCode).toBeNull();
      await expectStillServing(exporter.url);
    } finally {
      await exporter.stop();
      await first?.close();
      await second?.close();
    }
  });
});

describe('clocks an hour apart (-16)', () => {
  const HOUR_S = 3600;
  let simulator: Simulator;
  beforeAll(async () => {
    // The server's clock runs an hour behind ours, so ours is an hour ahead of it.
    simulator = await startSimulator({ accounts: [simulatedAccount], now: () => Date.now() - HOUR_S * 1000 });
  });
  afterAll(() => simulator.close());

  test('the exporter counts -16 and logs the skew as clock_skew_seconds', async () => {
    const exporter = await startExporterProcess(['--poll.interval=1s'], accountEnv(simulator.baseUrl));
    try {
      const samples = await untilCounterRises(exporter, 'itniotech_api_errors_total{account="shop",status="-16"}', 0);
      expect(samples.get(UP)).toBe(0);
      const line = warnLinesFor(exporter, 0).find((l) => l.status === '-16');
      expect(line).toBeDefined();
      expect(Math.abs(Number(line?.clock_skew_seconds) - HOUR_S)).toBeLessThanOrEqual(2);
      await expectStillServing(exporter.url);
    } finally {
      await exporter.stop();
    }
  });

  test('--check reports the same skew', async () => {
    const { status, stdout } = await runCli(['--check'], accountEnv(simulator.baseUrl));
    expect(status).toBe(1);
    const skew = /status -16: .*skew ([+-]?\d+)s/.exec(stdout)?.[1];
    expect(skew).toBeDefined();
    expect(Math.abs(Number(skew) - HOUR_S)).toBeLessThanOrEqual(2);
  });
});

describe('TLS with an untrusted certificate', () => {
  let dir: string;
  let cert: SelfSignedCert;
  let simulator: Simulator;
  let front: TlsFront;
  let account: Account;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'itnio-tls-'));
    cert = makeSelfSignedCert(dir);
    simulator = await startSimulator({ accounts: [simulatedAccount] });
    front = await startTlsFront(cert, simulator.url);
    account = { name: 'shop', apiKey: KEY, apiSecret: SECRET, baseUrl: `${front.url}/sms` };
  });
  afterAll(async () => {
    await front?.close();
    await simulator?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the client refuses the certificate as a network failure, and accepts it with the CA file', async () => {
    const refused = await createBalanceClient({ timeoutMs: 2000 }).fetchBalance(account);
    expect(refused).toMatchObject({ kind: 'failure', reason: 'network' });
    expect(refused.kind === 'failure' && refused.detail).toMatch(/self[- ]signed|certificate/i);
    const trusted = await createBalanceClient({ timeoutMs: 2000, caFile: cert.certFile }).fetchBalance(account);
    expect(trusted).toMatchObject({ kind: 'success', balance: BALANCE });
  });

  test('the exporter counts the refusal as network and keeps serving; with --api.ca-file it is up', async () => {
    const refusing = await startExporterProcess(['--poll.interval=1m'], accountEnv(account.baseUrl));
    try {
      const samples = await untilCounterRises(refusing, failures('network'), 0);
      expect(samples.get(UP)).toBe(0);
      expect(samples.has(BALANCE_SERIES)).toBe(false);
      const line = warnLinesFor(refusing, 0).find((l) => l.reason === 'network');
      expect(String(line?.detail)).toMatch(/self[- ]signed|certificate/i);
      await expectStillServing(refusing.url);
    } finally {
      await refusing.stop();
    }
    const trusting = await startExporterProcess(
      ['--poll.interval=1m', `--api.ca-file=${cert.certFile}`],
      accountEnv(account.baseUrl),
    );
    try {
      const samples = await eventually(async () => {
        const s = await metricsOf(trusting);
        return s.get(UP) === 1 ? s : undefined;
      }, 'up 1 through TLS');
      expect(samples.get(BALANCE_SERIES)).toBe(BALANCE);
    } finally {
      await trusting.stop();
    }
  });
});

describe('DNS failure (injected resolver: nothing leaves loopback)', () => {
  const HOST = 'balance.itnio.test';
  let simulator: Simulator;
  const asked: string[] = [];

  const failingLookup: LookupFunction = (hostname, _options, callback) => {
    asked.push(hostname);
    const error: NodeJS.ErrnoException = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), {
      code: 'ENOTFOUND',
      syscall: 'getaddrinfo',
    });
    process.nextTick(() => callback(error, '', 0));
  };
  const loopbackLookup: LookupFunction = (hostname, options, callback) => {
    asked.push(hostname);
    if (options.all) process.nextTick(() => callback(null, [{ address: '127.0.0.1', family: 4 }]));
    else process.nextTick(() => callback(null, '127.0.0.1', 4));
  };

  beforeAll(async () => {
    simulator = await startSimulator({ accounts: [simulatedAccount] });
  });
  afterAll(() => simulator.close());
  beforeEach(() => asked.splice(0));

  const accountAt = (port: string): Account => ({
    name: 'shop',
    apiKey: KEY,
    apiSecret: SECRET,
    baseUrl: `http://${HOST}:${port}/sms`,
  });

  test('the injected resolver is the one used: resolving the name to loopback reaches the simulator', async () => {
    const client = createBalanceClient({ timeoutMs: 2000, lookup: loopbackLookup });
    await expect(client.fetchBalance(accountAt(new URL(simulator.url).port))).resolves.toMatchObject({
      kind: 'success',
      balance: BALANCE,
    });
    expect(asked).toContain(HOST);
  });

  test('a name that does not resolve is a network failure carrying ENOTFOUND', async () => {
    const client = createBalanceClient({ timeoutMs: 2000, lookup: failingLookup });
    const outcome = await client.fetchBalance(accountAt(new URL(simulator.url).port));
    expect(outcome).toMatchObject({ kind: 'failure', reason: 'network' });
    expect(outcome.kind === 'failure' && outcome.detail).toContain('ENOTFOUND');
    expect(asked).toEqual([HOST]);
  });

  test('the exporter counts it, warns naming the account and ENOTFOUND, and keeps serving', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString('utf8').split('\n'))
          if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    const command: CliCommand = loadConfig({
      argv: ['--web.listen-address=127.0.0.1:0', '--api.timeout=2s'],
      env: {
        ITNIO_API_KEY: KEY,
        ITNIO_API_SECRET: SECRET,
        ITNIO_ACCOUNT: 'shop',
        ITNIO_BASE_URL: `http://${HOST}/sms`,
      },
      readFile: () => {
        throw new Error('no files in this test');
      },
    });
    const config = (command as { config: ExporterConfig }).config;
    let tick: () => void = () => undefined;
    const scheduler: Scheduler = { start: (t) => void (tick = t), stop: async () => undefined };
    const client = createBalanceClient({ timeoutMs: config.apiTimeoutMs, lookup: failingLookup });
    const exporter = await startExporter(config, { logger: createLogger('info', sink), client, scheduler });
    try {
      const first = await untilCounterRises(exporter, failures('network'), 0);
      expect(first.get(UP)).toBe(0);
      tick();
      await untilCounterRises(exporter, failures('network'), 1);
      const warned = lines.filter((l) => l.level === 'warn' && l.account === 'shop' && l.reason === 'network');
      expect(warned.length).toBeGreaterThanOrEqual(2);
      expect(String(warned[0]?.detail)).toContain('ENOTFOUND');
      await expectStillServing(exporter.url);
      expect(asked.every((name) => name === HOST)).toBe(true);
    } finally {
      await exporter.close();
    }
  });
});
