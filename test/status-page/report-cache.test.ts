import { request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { Registry } from 'prom-client';
import type { Account } from '../../src/config/account';
import { AccountStore } from '../../src/store/account-store';
import { createLogger } from '../../src/log/logger';
import { createProcessRegistry, MetricsRenderer } from '../../src/metrics/exposition';
import type { PollResult } from '../../src/polling/poller';
import { createApp } from '../../src/exporter/http-app';
import { listen } from '../../src/web/listen';
import type { StatusReport } from '../../src/status-page/report';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const START = Date.UTC(2025, 0, 1, 12);

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A GET that hands back the bytes as sent (fetch would decompress them). */
function get(url: string, headers: Record<string, string> = {}): Promise<Raw> {
  return new Promise((resolve, reject) => {
    request(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    })
      .on('error', reject)
      .end();
  });
}

const success = (account: Account, atMs: number, balance: number): PollResult => ({
  account,
  outcome: { kind: 'success', balance, gift: 0, credit: 0 },
  startedAt: atMs,
  finishedAt: atMs,
  finishedSteadyMs: atMs,
  durationSeconds: 0,
});

interface StatusServer {
  url: string;
  server: Server;
  store: AccountStore;
  clock: { now: number };
  /** How often the report was built (pollDescription is read once per build). */
  builds: () => number;
}

async function startStatusServer(accounts: Account[]): Promise<StatusServer> {
  const clock = { now: START };
  const store = new AccountStore({ accounts, maxAgeMs: HOUR, now: () => clock.now });
  let builds = 0;
  const app = createApp({
    telemetryPath: '/metrics',
    metrics: new MetricsRenderer({ registry: new Registry(), changeCount: () => 0 }, createProcessRegistry()),
    accounts: store,
    page: {
      name: 'itniotech-exporter',
      version: '9.9.9',
      pollDescription: () => {
        builds++;
        return 'every 60s';
      },
      maxAgeMs: HOUR,
      now: () => clock.now,
    },
    logger: createLogger('silent'),
  });
  const server = await listen(app, { host: '127.0.0.1', port: 0 });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    server,
    store,
    clock,
    builds: () => builds,
  };
}

const close = (server: Server): Promise<void> => new Promise((resolve) => server.close(() => resolve()));

describe('status report cache', () => {
  const shop: Account = { name: 'shop', apiKey: 'k', apiSecret: 's', baseUrl: 'http://127.0.0.1:9/sms' };
  let s: StatusServer;
  beforeAll(async () => {
    s = await startStatusServer([shop]);
  });
  afterAll(() => close(s.server));

  const report = async (): Promise<StatusReport> =>
    JSON.parse((await get(`${s.url}/api/v1/status`)).body.toString('utf8')) as StatusReport;

  test('builds the report once for any number of requests while nothing changes', async () => {
    const before = s.builds();
    for (let i = 0; i < 5; i++) {
      expect((await get(`${s.url}/api/v1/status`)).status).toBe(200);
      expect((await get(`${s.url}/`)).status).toBe(200);
    }
    expect(s.builds() - before).toBeLessThanOrEqual(1);
  });

  test('a poll result shows at once, within the same second', async () => {
    await report();
    s.store.record({ ...success(shop, s.clock.now, 321.5), target: s.store.target(shop.name) });
    const after = await report();
    expect(after.accounts[0]?.balance).toBe(321.5);
    expect(after.accounts[0]?.chart).toHaveLength(1);
    const page = (await get(`${s.url}/`)).body.toString('utf8');
    expect(page).toContain('321.50');
  });

  test('ages move on with the clock, at most a second late', async () => {
    for (const step of [400, 700, 1000, 2500]) {
      const before = await report();
      s.clock.now += step;
      const after = await report();
      const lag = s.clock.now - Date.parse(after.generatedAt);
      expect(lag).toBeGreaterThanOrEqual(0);
      expect(lag).toBeLessThan(1000);
      // The age is computed at generatedAt, from the one success at START.
      expect(after.accounts[0]?.lastSuccessAgeSeconds).toBe((Date.parse(after.generatedAt) - START) / 1000);
      if (step >= 1000) expect(Date.parse(after.generatedAt)).toBeGreaterThan(Date.parse(before.generatedAt));
    }
  });

  test('sends gzip only to a client that accepts it, with the same content', async () => {
    for (const path of ['/', '/api/v1/status']) {
      const plain = await get(`${s.url}${path}`);
      const gzipped = await get(`${s.url}${path}`, { 'Accept-Encoding': 'gzip, deflate, br' });
      const refused = await get(`${s.url}${path}`, { 'Accept-Encoding': 'gzip;q=0, identity' });
      expect(plain.headers['content-encoding']).toBeUndefined();
      expect(refused.headers['content-encoding']).toBeUndefined();
      expect(gzipped.headers['content-encoding']).toBe('gzip');
      for (const response of [plain, gzipped, refused]) expect(response.headers.vary).toMatch(/Accept-Encoding/i);
      expect(gunzipSync(gzipped.body).equals(plain.body)).toBe(true);
      expect(gzipped.body.length).toBeLessThan(plain.body.length);
    }
  });
});

describe('status report at 1000 accounts with a full day of history', () => {
  const ACCOUNTS = 1000;
  const accounts: Account[] = Array.from({ length: ACCOUNTS }, (_, i) => ({
    name: `account-${String(i).padStart(4, '0')}`,
    apiKey: `k${i}`,
    apiSecret: `s${i}`,
    baseUrl: 'http://127.0.0.1:9/sms',
  }));
  let s: StatusServer;
  beforeAll(async () => {
    s = await startStatusServer(accounts);
    // 24 h of 60 s polls, each spending 1.25.
    for (const account of accounts) {
      for (let t = START - 24 * HOUR, balance = 100_000; t <= START; t += MINUTE, balance -= 1.25)
        s.store.record({ ...success(account, t, balance), target: s.store.target(account.name) });
    }
  }, 60_000);
  afterAll(() => close(s.server));

  test('sends at most 60 chart points per account over the whole day, and stays small', async () => {
    const plain = await get(`${s.url}/api/v1/status`);
    const gzipped = await get(`${s.url}/api/v1/status`, { 'Accept-Encoding': 'gzip' });
    const report = JSON.parse(plain.body.toString('utf8')) as StatusReport;
    expect(report.accounts).toHaveLength(ACCOUNTS);
    for (const account of report.accounts) {
      expect(account.chart.length).toBeLessThanOrEqual(60);
      expect(account.chart.length).toBeGreaterThan(30);
      const first = account.chart[0] as [number, number];
      const last = account.chart[account.chart.length - 1] as [number, number];
      // The kept history starts just after START - 24 h (the span) and ends at START.
      expect(last[0] - first[0]).toBeGreaterThan(23 * 3600);
      expect(last).toEqual([START / 1000, 100_000 - 1.25 * 24 * 60]);
    }
    // 240 points per account made 9 MB before; 60 points make about 1.8 kB per account.
    expect(plain.body.length).toBeLessThan(2.5 * 1024 * 1024);
    expect(gzipped.body.length).toBeLessThan(plain.body.length / 3);
    const page = await get(`${s.url}/`, { 'Accept-Encoding': 'gzip' });
    expect(page.status).toBe(200);
    const html = gunzipSync(page.body).toString('utf8');
    expect(html.slice(0, html.indexOf('<script>')).match(/<article /g)).toHaveLength(ACCOUNTS);
  }, 30_000);
});
