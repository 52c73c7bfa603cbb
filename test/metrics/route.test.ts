import { request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { Registry } from 'prom-client';
import { AccountStore } from '../../src/accounts/store';
import type { Account } from '../../src/config/account';
import { BalanceCollector } from '../../src/metrics/collector';
import { createLogger } from '../../src/log/logger';
import { acceptsGzip } from '../../src/web/compression';
import { createProcessRegistry, MetricsRenderer } from '../../src/metrics/exposition';
import { createApp } from '../../src/app/server';
import { listen } from '../../src/web/listen';

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

  beforeAll(async () => {
    const registry = new Registry();
    collector = new BalanceCollector({ registry, accounts: [shop], maxAgeMs: 3_600_000, pollDescription: 'every 1m', version: '1.0.0' });
    const c = collector;
    const renderer = new MetricsRenderer({ registry, changeCount: () => c.changeCount, render: () => c.render() }, createProcessRegistry());
    const app = createApp({
      telemetryPath: '/metrics',
      metrics: renderer,
      accounts: new AccountStore({ accounts: [shop], maxAgeMs: 3_600_000 }),
      page: { name: 'itniotech-exporter', version: '1.0.0', pollDescription: () => 'every 1m', maxAgeMs: 3_600_000, now: Date.now },
      logger: createLogger('silent'),
    });
    server = await listen(app, { host: '127.0.0.1', port: 0 });
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const prometheusHeaders = {
    Accept: 'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1',
    'Accept-Encoding': 'gzip',
  };

  test('answers in the text format 0.0.4, gzipped for Prometheus, the same text either way', async () => {
    collector.record({ account: shop, outcome: { kind: 'success', balance: 42, gift: 1, credit: 0 }, startedAt: Date.now(), finishedAt: Date.now(), finishedSteadyMs: Date.now(), durationSeconds: 0.1 });
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
    collector.record({ account: shop, outcome: { kind: 'success', balance: 41.5, gift: 1, credit: 0 }, startedAt: Date.now(), finishedAt: Date.now(), finishedSteadyMs: Date.now(), durationSeconds: 0.1 });
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
