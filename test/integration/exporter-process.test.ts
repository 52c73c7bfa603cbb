import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator, type Fault, type Simulator } from '../../src/simulator/simulator';
import { testWithBinaries } from '../support/binaries';
import { eventually, startExporterProcess, type ExporterProcess } from '../support/exporter-process';
import { parseSamples } from '../support/prom-text';

const SHOP = { apiKey: 'shopKey1', apiSecret: 'itg-secret-shop-5f3a' };
const OTP = { apiKey: 'otpKey22', apiSecret: 'itg-secret-otp-9c1d' };

function writeConfig(dir: string, baseUrl: string): string {
  const path = join(dir, 'itnio.yml');
  writeFileSync(join(dir, 'shop.secret'), `${SHOP.apiSecret}\n`);
  writeFileSync(
    path,
    [
      'accounts:',
      '  - name: shop',
      `    api_key: ${SHOP.apiKey}`,
      `    api_secret_file: ${join(dir, 'shop.secret')}`,
      '    low_balance_threshold: 25',
      `    base_url: ${baseUrl}`,
      '  - name: otp',
      `    api_key: ${OTP.apiKey}`,
      `    api_secret: ${OTP.apiSecret}`,
      `    base_url: ${baseUrl}`,
      '',
    ].join('\n'),
  );
  return path;
}

async function scrape(exporter: ExporterProcess): Promise<{ text: string; samples: Map<string, number> }> {
  const response = await fetch(`${exporter.url}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
  const text = await response.text();
  return { text, samples: parseSamples(text) };
}

describe('the built exporter against the simulator', () => {
  let dir: string;
  let simulator: Simulator;
  let exporter: ExporterProcess;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'itnio-itg-'));
    simulator = await startSimulator({
      accounts: [
        { ...SHOP, balance: 120.5, gift: 7, credit: 30, spendPerHour: 0 },
        { ...OTP, balance: 80, gift: 0, credit: 0, spendPerHour: 0 },
      ],
    });
    exporter = await startExporterProcess([
      '--config.file',
      writeConfig(dir, simulator.baseUrl),
      '--poll.interval=1s',
      // Well above what a loaded machine takes for a local answer, huge bodies included; the hang
      // case waits it out.
      '--api.timeout=3s',
    ]);
  });

  afterAll(async () => {
    await exporter?.stop();
    await simulator?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('ready after the first poll of every account, with the balances', async () => {
    await eventually(
      async () => ((await fetch(`${exporter.url}/readyz`)).status === 200 ? true : undefined),
      '/readyz 200',
    );
    const { samples } = await scrape(exporter);
    expect(samples.get('itniotech_up{account="shop"}')).toBe(1);
    expect(samples.get('itniotech_balance{account="shop"}')).toBe(120.5);
    expect(samples.get('itniotech_gift_balance{account="shop"}')).toBe(7);
    expect(samples.get('itniotech_credit_limit{account="shop"}')).toBe(30);
    expect(samples.get('itniotech_balance{account="otp"}')).toBe(80);
    expect(samples.get('itniotech_balance_low_threshold{account="shop"}')).toBe(25);
    expect(samples.has('itniotech_balance_low_threshold{account="otp"}')).toBe(false);
    expect(samples.get('process_start_time_seconds')).toBeGreaterThan(0);
    expect((await fetch(`${exporter.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${exporter.url}/nope`)).status).toBe(404);
  });

  const failures: Array<[string, { fault?: Fault; failStatus?: string }, string]> = [
    ...['-1', '-2', '-13', '-15', '-16', '-18', '-404'].map((status): [string, { failStatus: string }, string] => [
      `API status ${status}`,
      { failStatus: status },
      `itniotech_api_errors_total{account="shop",status="${status}"}`,
    ]),
    ['HTTP 500', { fault: 'http500' }, 'itniotech_request_failures_total{account="shop",reason="http_status"}'],
    ['a redirect', { fault: 'redirect' }, 'itniotech_request_failures_total{account="shop",reason="http_status"}'],
    [
      'HTML instead of JSON',
      { fault: 'html' },
      'itniotech_request_failures_total{account="shop",reason="invalid_response"}',
    ],
    [
      'truncated JSON',
      { fault: 'truncated' },
      'itniotech_request_failures_total{account="shop",reason="invalid_response"}',
    ],
    [
      'a success missing a field',
      { fault: 'missing_field' },
      'itniotech_request_failures_total{account="shop",reason="invalid_response"}',
    ],
    [
      '"N/A" as a number',
      { fault: 'not_a_number' },
      'itniotech_request_failures_total{account="shop",reason="invalid_response"}',
    ],
    [
      'a body of many megabytes',
      { fault: 'huge' },
      'itniotech_request_failures_total{account="shop",reason="invalid_response"}',
    ],
    [
      'a server that never answers',
      { fault: 'hang' },
      'itniotech_request_failures_total{account="shop",reason="timeout"}',
    ],
    [
      'a connection reset mid-body',
      { fault: 'reset' },
      'itniotech_request_failures_total{account="shop",reason="network"}',
    ],
  ];

  test.each(failures)(
    '%s: counted, up 0, last good values kept, logged, still serving',
    async (_what, patch, counter) => {
      const before = (await scrape(exporter)).samples.get(counter) ?? 0;
      const logsBefore = exporter.logs().length;
      simulator.update(SHOP.apiKey, { ...patch });
      try {
        const samples = await eventually(async () => {
          const s = (await scrape(exporter)).samples;
          return (s.get(counter) ?? 0) > before ? s : undefined;
        }, `${counter} to increase`);
        expect(samples.get('itniotech_up{account="shop"}')).toBe(0);
        expect(samples.get('itniotech_balance{account="shop"}')).toBe(120.5);
        expect(samples.get('itniotech_up{account="otp"}')).toBe(1);
        const line = exporter
          .logs()
          .slice(logsBefore)
          .find((l) => l.account === 'shop' && l.level === 'warn');
        expect(line).toBeDefined();
        expect(String(line?.msg)).toMatch(/^poll failed: /);
        if (patch.failStatus) expect(line?.status).toBe(patch.failStatus);
      } finally {
        simulator.update(SHOP.apiKey, { fault: null, failStatus: null });
      }
    },
  );

  test('recovery: up 1 again with the new balance', async () => {
    simulator.update(SHOP.apiKey, { balance: -3.25 });
    const samples = await eventually(async () => {
      const s = (await scrape(exporter)).samples;
      return s.get('itniotech_balance{account="shop"}') === -3.25 ? s : undefined;
    }, 'the new (negative) balance');
    expect(samples.get('itniotech_up{account="shop"}')).toBe(1);
  });

  test('every getBalance request is counted: the exporter and the simulator agree', async () => {
    const { samples } = await scrape(exporter);
    const counted =
      (samples.get('itniotech_requests_total{account="shop"}') ?? 0) +
      (samples.get('itniotech_requests_total{account="otp"}') ?? 0);
    // A poll may be in flight between the two reads: the simulator counts it first.
    expect(simulator.requestCount() - counted).toBeGreaterThanOrEqual(0);
    expect(simulator.requestCount() - counted).toBeLessThanOrEqual(2);
  });

  testWithBinaries(['promtool'], 'promtool check metrics accepts the output', async () => {
    const { text } = await scrape(exporter);
    const result = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(`${result.stdout}${result.stderr}`.trim()).toBe('');
    expect(result.status).toBe(0);
  });

  test('no secret in metrics, landing page or logs', async () => {
    const { text } = await scrape(exporter);
    const page = await (await fetch(`${exporter.url}/`)).text();
    expect(page).toContain('shop');
    const all = [text, page, exporter.stdout.join('\n'), exporter.stderr.join('')].join('\n');
    for (const secret of [SHOP.apiSecret, OTP.apiSecret, SHOP.apiKey, OTP.apiKey]) expect(all).not.toContain(secret);
  });

  // Last: the account then backs off for a minute (issue 20 item 10).
  test('HTTP 429: counted, up 0, and the account backs off for at least its Retry-After (60 s)', async () => {
    simulator.update(OTP.apiKey, { fault: 'http429' });
    try {
      const samples = await eventually(async () => {
        const s = (await scrape(exporter)).samples;
        return (s.get('itniotech_poll_backoff_seconds{account="otp"}') ?? 0) >= 60 ? s : undefined;
      }, 'the back-off to reach the Retry-After');
      expect(samples.get('itniotech_up{account="otp"}')).toBe(0);
      expect(samples.get('itniotech_request_failures_total{account="otp",reason="http_status"}')).toBeGreaterThan(0);
      // The other account keeps its pace.
      expect(samples.get('itniotech_poll_backoff_seconds{account="shop"}')).toBe(0);
    } finally {
      simulator.update(OTP.apiKey, { fault: null });
    }
  });
});

describe('scrapes never call the ITNIO API', () => {
  test('100 scrapes cause zero extra getBalance requests', async () => {
    const simulator = await startSimulator({
      accounts: [{ ...SHOP, balance: 1, gift: 0, credit: 0, spendPerHour: 0 }],
    });
    const exporter = await startExporterProcess(['--poll.interval=1h'], {
      ITNIO_API_KEY: SHOP.apiKey,
      ITNIO_API_SECRET: SHOP.apiSecret,
      ITNIO_BASE_URL: simulator.baseUrl,
    });
    try {
      await eventually(
        async () => ((await fetch(`${exporter.url}/readyz`)).status === 200 ? true : undefined),
        'ready',
      );
      const before = simulator.requestCount();
      expect(before).toBe(1);
      for (let i = 0; i < 100; i++) await scrape(exporter);
      expect(simulator.requestCount()).toBe(before);
    } finally {
      await exporter.stop();
      await simulator.close();
    }
  });
});

describe('start-up, readiness and shutdown', () => {
  test('/readyz is 503 until the first poll attempt finishes, and SIGTERM exits promptly even mid-poll', async () => {
    const simulator = await startSimulator({
      accounts: [{ ...SHOP, balance: 1, gift: 0, credit: 0, spendPerHour: 0, fault: 'hang' }],
    });
    const exporter = await startExporterProcess(['--poll.interval=1m', '--api.timeout=1m'], {
      ITNIO_API_KEY: SHOP.apiKey,
      ITNIO_API_SECRET: SHOP.apiSecret,
      ITNIO_BASE_URL: simulator.baseUrl,
    });
    try {
      expect((await fetch(`${exporter.url}/readyz`)).status).toBe(503);
      const { code, ms } = await exporter.stop('SIGTERM');
      expect(code).toBe(0);
      expect(ms).toBeLessThan(5000);
    } finally {
      await simulator.close();
    }
  });

  test('SIGINT stops it too', async () => {
    const exporter = await startExporterProcess(['--poll.interval=1m'], {
      ITNIO_API_KEY: SHOP.apiKey,
      ITNIO_API_SECRET: SHOP.apiSecret,
      ITNIO_BASE_URL: 'http://127.0.0.1:9/sms',
    });
    const { code } = await exporter.stop('SIGINT');
    expect(code).toBe(0);
  });
});
