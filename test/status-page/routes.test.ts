import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import type { Account } from '../../src/config/account';
import { ACCOUNT_STATES } from '../../src/status-page/verdict';
import { AccountStore } from '../../src/store/account-store';
import { createLogger } from '../../src/log/logger';
import { createProcessRegistry, MetricsRenderer } from '../../src/metrics/exposition';
import { createApp } from '../../src/exporter/http-app';
import { listen } from '../../src/web/listen';
import type { StatusReport } from '../../src/status-page/report';
import {
  manualScheduler,
  startStatusFixture,
  waitUntil,
  type FixtureAccount,
  type StatusFixture,
} from '../support/status-fixture';

const PACKAGE_VERSION = (
  JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }
).version;
const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

async function getJson(
  url: string,
): Promise<{ status: number; type: string | null; body: StatusReport; text: string }> {
  const response = await fetch(url);
  const text = await response.text();
  return {
    status: response.status,
    type: response.headers.get('content-type'),
    body: JSON.parse(text) as StatusReport,
    text,
  };
}

describe('GET /api/v1/status before any poll has finished', () => {
  let server: Server;
  let url: string;
  const accounts: Account[] = [
    {
      name: 'marketing',
      apiKey: 'mktKey01',
      apiSecret: 'never-shown-1',
      baseUrl: 'http://127.0.0.1:9/sms',
      lowBalanceThreshold: 200,
    },
    { name: 'otp', apiKey: 'otpKey02', apiSecret: 'never-shown-2', baseUrl: 'http://127.0.0.1:9/sms' },
  ];

  beforeAll(async () => {
    const app = createApp({
      telemetryPath: '/metrics',
      metrics: new MetricsRenderer({ registry: new Registry(), changeCount: () => 0 }, createProcessRegistry()),
      accounts: new AccountStore({ accounts, maxAgeMs: 3_600_000 }),
      page: {
        name: 'itniotech-exporter',
        version: PACKAGE_VERSION,
        pollDescription: () => 'every 60s',
        maxAgeMs: 3_600_000,
        now: Date.now,
      },
      logger: createLogger('silent'),
    });
    server = await listen(app, { host: '127.0.0.1', port: 0 });
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  test('lists every account as stale with empty values', async () => {
    const { status, type, body } = await getJson(`${url}/api/v1/status`);
    expect(status).toBe(200);
    expect(type).toMatch(/^application\/json/);
    expect(body.exporter).toEqual({ name: 'itniotech-exporter', version: PACKAGE_VERSION });
    expect(body.generatedAt).toMatch(ISO_TIME);
    expect(body.maxAgeSeconds).toBe(3600);
    expect(body.spendSurgeRule).toEqual({ factor: 5, floorPerHour: 10, normalQuantile: 0.9, normalMinHours: 20 });
    expect(body.accounts.map((a) => a.name)).toEqual(['marketing', 'otp']);
    for (const account of body.accounts) {
      expect(account).toMatchObject({
        state: 'stale',
        balance: null,
        gift: null,
        credit: null,
        belowThreshold: false,
        lastAttemptAt: null,
        lastSuccessAt: null,
        lastSuccessAgeSeconds: null,
        lastError: null,
        spendPerDay: null,
        daysLeft: null,
        spendPerHour: null,
        normalSpendPerHour: null,
        normalSpendHours: 0,
        surgeThresholdPerHour: null,
        spendSurge: false,
        chart: [],
      });
      expect(account.stateReason).toMatch(/first poll/);
    }
    // otp has no threshold of its own: the alert rules' default applies, and the JSON says so.
    expect(body.accounts.map((a) => [a.lowBalanceThreshold, a.lowBalanceThresholdSource])).toEqual([
      [200, 'account'],
      [100, 'rules_default'],
    ]);
  });

  test('the page before any poll says it is waiting', async () => {
    const response = await fetch(`${url}/`);
    expect(response.status).toBe(200);
    expect(await response.text()).toMatch(/waiting for the first poll/);
  });

  test('an unknown API path is a 404', async () => {
    expect((await fetch(`${url}/api/v1/nothing`)).status).toBe(404);
  });
});

describe('GET /api/v1/status after polls', () => {
  const HEALTHY: FixtureAccount = {
    name: 'marketing',
    apiKey: 'mktKey01',
    apiSecret: 'mkt-secret-01',
    balance: 1000,
    gift: 25,
    credit: 300,
    spendPerHour: 0,
    lowBalanceThreshold: 200,
  };
  const LOW: FixtureAccount = {
    name: 'alerts',
    apiKey: 'altKey02',
    apiSecret: 'alt-secret-02',
    balance: 50.5,
    gift: 0,
    credit: 0,
    spendPerHour: 0,
    lowBalanceThreshold: 100,
  };
  const FAILING: FixtureAccount = {
    name: 'otp',
    apiKey: 'otpKey03',
    apiSecret: 'otp-secret-03',
    balance: 500,
    gift: 0,
    credit: 0,
    spendPerHour: 0,
    failStatus: '-16',
  };
  let fixture: StatusFixture;
  const scheduler = manualScheduler();

  /** One more poll round, waited for. */
  const pollRound = () => fixture.exporter.poller.pollAll();

  beforeAll(async () => {
    fixture = await startStatusFixture(
      [HEALTHY, LOW, FAILING],
      ['--poll.interval=60s', '--poll.max-age=1h'],
      scheduler,
    );
    await waitUntil('the first poll', () => fixture.exporter.accounts.allAttempted());
    // Spend 10, top up by 1000, spend 5: 15 spent in the 6h window, i.e. 60 a day.
    for (const balance of [990, 1990, 1985]) {
      fixture.simulator.update(HEALTHY.apiKey, { balance });
      await pollRound();
    }
  });
  afterAll(() => fixture.close());

  test('reports state, balances, spend and days left per account', async () => {
    const { body } = await getJson(`${fixture.exporter.url}/api/v1/status`);
    const byName = new Map(body.accounts.map((a) => [a.name, a]));
    for (const account of body.accounts) expect(ACCOUNT_STATES).toContain(account.state);

    const healthy = byName.get(HEALTHY.name);
    expect(healthy).toMatchObject({
      state: 'ok',
      balance: 1985,
      gift: HEALTHY.gift,
      credit: HEALTHY.credit,
      lowBalanceThreshold: 200,
      belowThreshold: false,
      lastError: null,
    });
    expect(healthy?.lastSuccessAt).toMatch(ISO_TIME);
    expect(healthy?.lastSuccessAgeSeconds).toBeGreaterThanOrEqual(0);
    expect(healthy?.chart.map((p) => p[1])).toEqual([1000, 990, 1990, 1985]);
    // [Unix seconds, balance], the last one the last success (to the second).
    expect(healthy?.chart[3]?.[0]).toBe(Math.round(Date.parse(healthy?.lastSuccessAt ?? '') / 1000));
    expect(healthy?.spendPerDay).toBeCloseTo(60, 6);
    expect(healthy?.daysLeft).toBeCloseTo(1985 / 60, 6);
    // All within the last hour: 15 spent, no whole hour of history yet, so no normal and no surge.
    expect(healthy).toMatchObject({
      spendPerHour: 15,
      normalSpendPerHour: null,
      normalSpendMinHours: 20,
      surgeThresholdPerHour: null,
      spendSurge: false,
    });

    expect(byName.get(LOW.name)).toMatchObject({
      state: 'low',
      balance: LOW.balance,
      belowThreshold: true,
      spendPerDay: 0,
      daysLeft: null,
    });
  });

  test('reports the last error with its meaning and what to do', async () => {
    const { body } = await getJson(`${fixture.exporter.url}/api/v1/status`);
    const otp = body.accounts.find((a) => a.name === FAILING.name);
    expect(otp?.state).toBe('failing');
    expect(otp?.balance).toBeNull();
    expect(otp?.lastSuccessAt).toBeNull();
    expect(otp?.lastError).toMatchObject({ kind: 'api_status', code: '-16' });
    // The API documentation: -16 is a timestamp outside the allowed range.
    expect(otp?.lastError?.meaning).toMatch(/timestamp/i);
    expect(otp?.lastError?.hint).toMatch(/clock|NTP/i);
    expect(otp?.lastError?.at).toMatch(ISO_TIME);
  });

  test('a recovered account keeps its last error but is no longer failing', async () => {
    fixture.simulator.update(FAILING.apiKey, { failStatus: null });
    await pollRound();
    const { body } = await getJson(`${fixture.exporter.url}/api/v1/status`);
    const otp = body.accounts.find((a) => a.name === FAILING.name);
    expect(otp?.state).toBe('ok');
    expect(otp?.balance).toBe(FAILING.balance);
    expect(otp?.lastError?.code).toBe('-16');
    fixture.simulator.update(FAILING.apiKey, { failStatus: '-16' });
    await pollRound();
  });

  test('holds no key, secret or upstream URL, and is not cached', async () => {
    const response = await fetch(`${fixture.exporter.url}/api/v1/status`);
    const text = await response.text();
    for (const secret of [HEALTHY, LOW, FAILING].flatMap((a) => [a.apiKey, a.apiSecret]))
      expect(text).not.toContain(secret);
    expect(text).not.toContain(fixture.simulator.url);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const page = await (await fetch(`${fixture.exporter.url}/`)).text();
    for (const secret of [HEALTHY, LOW, FAILING].flatMap((a) => [a.apiKey, a.apiSecret]))
      expect(page).not.toContain(secret);
  });

  test('the page sends a CSP that admits its inline script by hash', async () => {
    const response = await fetch(`${fixture.exporter.url}/`);
    const csp = response.headers.get('content-security-policy') ?? '';
    const script = /<script>([\s\S]*?)<\/script>/.exec(await response.text())?.[1] ?? '';
    expect(csp).toContain(`script-src 'sha256-${createHash('sha256').update(script, 'utf8').digest('base64')}'`);
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain('unsafe-inline');
  });
});
