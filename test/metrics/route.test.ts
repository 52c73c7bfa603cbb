import { request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Gauge, Registry } from 'prom-client';
import { AccountStore } from '../../src/store/account-store';
import type { Account } from '../../src/config/account';
import { BalanceCollector } from '../../src/metrics/collector';
import { storeGauge } from '../../src/metrics/store-metric';
import { createLogger } from '../../src/log/logger';
import { acceptsGzip } from '../../src/web/compression';
import { createProcessRegistry, MetricsRenderer } from '../../src/metrics/exposition';
import { createApp } from '../../src/exporter/http-app';
import { listen } from '../../src/web/listen';
import { testWithBinaries } from '../support/binaries';
import { eventually } from '../support/exporter-process';
import { ACCOUNT_A, startHarness, type Harness } from '../support/exporter-harness';

describe('acceptsGzip', () => {
  test.each([
    [undefined, false],
    ['', false],
    ['gzip', true],
    ['GZIP', true],
    ['deflate, gzip;q=1.0, *;q=0.5', true],
    ['gzip;q=0', false],
    ['gzip; q=0.000', false],
    ['br', false],
    ['identity', false],
    ['*', true],
    ['*;q=0', false],
    ['gzip;q=0, *', false],
    ['x-gzip', true],
  ])('%p → %p', (header, expected) => {
    expect(acceptsGzip(header)).toBe(expected);
  });
});

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function get(url: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('/metrics', () => {
  const shop: Account = { name: 'shop', apiKey: 'k', apiSecret: 's', baseUrl: 'http://x' };
  let server: Server;
  let url: string;
  let collector: BalanceCollector;
  let store: AccountStore;
  let renderer: MetricsRenderer;

  beforeAll(async () => {
    const registry = new Registry();
    store = new AccountStore({ accounts: [shop], maxAgeMs: 3_600_000 });
    collector = new BalanceCollector({ registry, store, maxAgeMs: 3_600_000, version: '1.0.0' });
    renderer = new MetricsRenderer(collector, createProcessRegistry());
    const app = createApp({
      telemetryPath: '/metrics',
      metrics: renderer,
      accounts: new AccountStore({ accounts: [shop], maxAgeMs: 3_600_000 }),
      page: {
        name: 'itniotech-exporter',
        version: '1.0.0',
        pollDescription: () => 'every 1m',
        maxAgeMs: 3_600_000,
        now: Date.now,
      },
      logger: createLogger('silent'),
    });
    server = await listen(app, { host: '127.0.0.1', port: 0 });
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
  });
  afterAll(async () => {
    renderer.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const prometheusHeaders = {
    Accept:
      'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1',
    'Accept-Encoding': 'gzip',
  };

  test('answers in the text format 0.0.4, gzipped for Prometheus, the same text either way', async () => {
    store.record({
      target: store.target(shop.name),
      account: shop,
      outcome: { kind: 'success', balance: 42, gift: 1, credit: 0 },
      startedAt: Date.now(),
      finishedAt: Date.now(),
      finishedSteadyMs: Date.now(),
      durationSeconds: 0.1,
    });
    const zipped = await get(url, prometheusHeaders);
    const plain = await get(url);
    for (const answer of [zipped, plain]) {
      expect(answer.status).toBe(200);
      expect(answer.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
      expect(answer.headers.vary).toBe('Accept-Encoding');
      expect(Number(answer.headers['content-length'])).toBe(answer.body.length);
    }
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(plain.headers['content-encoding']).toBeUndefined();
    const text = plain.body.toString();
    expect(text).toContain('itniotech_balance{account="shop"} 42\n');
    expect(text).toContain('# TYPE process_cpu_user_seconds_total counter');
    // Process metrics may be re-read between the two scrapes; the exporter's part may not differ.
    const exporterPart = (t: string): string => t.slice(0, t.indexOf('# HELP process_'));
    expect(exporterPart(gunzipSync(zipped.body).toString())).toBe(exporterPart(text));
  });

  test('unchanged between polls, changed after one', async () => {
    const before = (await get(url)).body.toString();
    const again = (await get(url)).body.toString();
    const exporterPart = (t: string): string => t.slice(0, t.indexOf('# HELP process_'));
    expect(exporterPart(again)).toBe(exporterPart(before));
    store.record({
      target: store.target(shop.name),
      account: shop,
      outcome: { kind: 'success', balance: 41.5, gift: 1, credit: 0 },
      startedAt: Date.now(),
      finishedAt: Date.now(),
      finishedSteadyMs: Date.now(),
      durationSeconds: 0.1,
    });
    const after = (await get(url, prometheusHeaders)).body;
    expect(gunzipSync(after).toString()).toContain('itniotech_balance{account="shop"} 41.5\n');
  });

  test('HEAD gets the headers without a body', async () => {
    const answer = await get(url, {}, 'HEAD');
    expect(answer.status).toBe(200);
    expect(Number(answer.headers['content-length'])).toBeGreaterThan(0);
    expect(answer.body.length).toBe(0);
  });
});

describe('/metrics of a running exporter', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness([ACCOUNT_A], (simulator) => [`--api.base-url=${simulator.baseUrl}`], {
      ITNIO_API_KEY: ACCOUNT_A.apiKey,
      ITNIO_API_SECRET: ACCOUNT_A.apiSecret,
      ITNIO_ACCOUNT: 'shop',
    });
    await eventually(
      async () => ((await get(`${h.exporter.url}/readyz`)).status === 200 ? true : undefined),
      'readiness',
    );
  });
  afterAll(() => h.close());

  const scrape = async (): Promise<string> => {
    const answer = await get(`${h.exporter.url}/metrics`, { 'Accept-Encoding': 'gzip' });
    expect(answer.status).toBe(200);
    return gunzipSync(answer.body).toString();
  };

  test("a gauge registered on the exporter's registry appears, and its new value soon after", async () => {
    const gauge = new Gauge({
      name: 'team_custom_jobs',
      help: 'Registered by a test, as a contributor would.',
      labelNames: ['queue'],
      registers: [h.exporter.collector.registry],
    });
    gauge.set({ queue: 'sms' }, 1);
    await eventually(
      async () => ((await scrape()).includes('team_custom_jobs{queue="sms"} 1\n') ? true : undefined),
      'the new gauge on /metrics',
    );
    const text = await scrape();
    expect(text).toContain(
      '# HELP team_custom_jobs Registered by a test, as a contributor would.\n# TYPE team_custom_jobs gauge\n',
    );
    expect(text).toContain('itniotech_balance{account="shop"} 100\n');

    gauge.set({ queue: 'sms' }, 5);
    // The prepared bytes are refreshed in the background once they are a second old.
    await eventually(
      async () => ((await scrape()).includes('team_custom_jobs{queue="sms"} 5\n') ? true : undefined),
      'the new value on /metrics',
    );
  });

  test('a new metric derived from the store shows the next poll on the next scrape, with nothing told to the renderer', async () => {
    storeGauge({
      registry: h.exporter.collector.registry,
      reader: h.exporter.collector.reader,
      name: 'team_balance_in_cents',
      help: 'Registered by a test: the balance in cents, computed from the store.',
      labelNames: ['account'],
      samples: (accounts) =>
        accounts.flatMap((a) =>
          a.status.values ? [[{ account: a.account.name }, Math.round(a.status.values.balance * 100)] as const] : [],
        ),
    });
    h.simulator.update(ACCOUNT_A.apiKey, { balance: 77.25 });
    await h.exporter.poller.pollAll();
    // No poll runs now, so this scrape waits for a rebuild that holds the poll's result.
    const text = await scrape();
    expect(text).toContain(
      '# HELP team_balance_in_cents Registered by a test: the balance in cents, computed from the store.\n',
    );
    expect(text).toContain('team_balance_in_cents{account="shop"} 7725\n');
    expect(text).toContain('itniotech_balance{account="shop"} 77.25\n');
    h.simulator.update(ACCOUNT_A.apiKey, { balance: 12 });
    await h.exporter.poller.pollAll();
    expect(await scrape()).toContain('team_balance_in_cents{account="shop"} 1200\n');
  });

  testWithBinaries(
    ['curl'],
    'curl reads the gzipped answer whole: one gzip stream, the same text as without gzip',
    async () => {
      // Asynchronously: the exporter answers from this process.
      const curl = async (...args: string[]): Promise<string> =>
        (await promisify(execFile)('curl', ['-sS', ...args], { encoding: 'utf8' })).stdout;
      const zipped = await curl('--compressed', `${h.exporter.url}/metrics`);
      expect(zipped).toMatch(/^# HELP itniotech_up /);
      expect(zipped).toContain('# TYPE process_cpu_user_seconds_total counter\n');
      expect(zipped.endsWith('\n')).toBe(true);
      const plain = await curl(`${h.exporter.url}/metrics`);
      const exporterPart = (t: string): string => t.slice(0, t.indexOf('# HELP process_'));
      expect(exporterPart(zipped)).toBe(exporterPart(plain));
    },
  );
});
