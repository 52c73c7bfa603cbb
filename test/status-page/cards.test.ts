import { createHash } from 'node:crypto';
import { renderLandingPage, statusPageCsp } from '../../src/status-page/page';
import { humanDuration, renderAccountCard, renderSummary } from '../../src/status-page/cards';
import type { AccountReport, StatusReport } from '../../src/status-page/report';
import { runPageScript } from '../support/page-script';

const base: AccountReport = {
  name: 'marketing',
  state: 'ok',
  stateReason: 'the last poll succeeded',
  balance: 1234.5,
  gift: 10,
  credit: 0,
  lowBalanceThreshold: 100,
  lowBalanceThresholdSource: 'account',
  belowThreshold: false,
  lastAttemptAt: '2025-01-01T12:00:00.000Z',
  lastSuccessAt: '2025-01-01T12:00:00.000Z',
  lastSuccessAgeSeconds: 5,
  lastError: null,
  spendPerDay: 100,
  daysLeft: 12.345,
  spendWindowSeconds: 21600,
  spendDataSeconds: 600,
  spendPerHour: 4,
  normalSpendPerHour: 5,
  normalSpendHours: 22,
  normalSpendMinHours: 20,
  surgeThresholdPerHour: 25,
  spendSurge: false,
  backoff: null,
  currency: null,
  numbers: null,
  chart: [
    [Date.UTC(2025, 0, 1, 11, 50) / 1000, 1300],
    [Date.UTC(2025, 0, 1, 11, 55) / 1000, 1250],
    [Date.UTC(2025, 0, 1, 12, 0) / 1000, 1234.5],
  ],
};
const failing: AccountReport = {
  ...base,
  name: 'otp',
  state: 'failing',
  balance: null,
  gift: null,
  credit: null,
  chart: [],
  spendPerDay: null,
  daysLeft: null,
  spendPerHour: null,
  normalSpendPerHour: null,
  normalSpendHours: 0,
  surgeThresholdPerHour: null,
  lastError: {
    kind: 'api_status',
    code: '-1',
    meaning: 'authentication error',
    hint: 'check the key',
    detail: '<img src=x onerror=alert(1)>',
    at: '2025-01-01T12:00:00.000Z',
  },
};
const report: StatusReport = {
  exporter: { name: 'itniotech-exporter', version: '9.9.9' },
  generatedAt: '2025-01-01T12:00:05.000Z',
  pollDescription: 'every 60s',
  maxAgeSeconds: 3600,
  spendWindowSeconds: 21600,
  spendSurgeRule: { factor: 5, floorPerHour: 10, normalQuantile: 0.9, normalMinHours: 20 },
  accounts: [base, failing, { ...base, name: 'single', chart: [[Date.UTC(2025, 0, 1, 12) / 1000, 5]] }],
};
const surging: AccountReport = {
  ...base,
  name: 'pumped',
  spendPerHour: 300,
  normalSpendPerHour: 12,
  surgeThresholdPerHour: 60,
  spendSurge: true,
};
const young: AccountReport = {
  ...base,
  name: 'young',
  normalSpendPerHour: null,
  normalSpendHours: 3,
  surgeThresholdPerHour: null,
};
const fromNothing: AccountReport = {
  ...base,
  name: 'idle',
  spendPerHour: 40,
  normalSpendPerHour: 0,
  surgeThresholdPerHour: 10,
  spendSurge: true,
};
const backingOff: AccountReport = {
  ...base,
  name: 'throttled',
  backoff: { seconds: 240, streak: 2, nextPollAt: '2025-01-01T12:04:00.000Z' },
};
const recovered: AccountReport = { ...failing, name: 'recovered', state: 'ok' };
const cards = [...report.accounts, surging, young, fromNothing, backingOff, recovered];

describe('status page view', () => {
  // The page script is the same module bundled for the browser: it renders what the server does.
  test('the built page script renders every card and the summary exactly as the server does', async () => {
    const all = { ...report, accounts: cards };
    const page = await runPageScript(all);
    expect(page.element('accounts').innerHTML).toBe(cards.map(renderAccountCard).join(''));
    expect(page.element('summary').innerHTML).toBe(renderSummary(all));
  });

  test('shows the last hour and the normal hour on every card', () => {
    const figures = (account: AccountReport): string =>
      /data-field="spend-hour">([^<]*)</.exec(renderAccountCard(account))?.[1] ?? '';
    expect(figures(base)).toBe('4.00 · normal hour: 5.00');
    expect(figures(young)).toBe('4.00 · normal hour: not known yet (3 of 20 h of history)');
    expect(figures(failing)).toBe('not enough polls yet');
  });

  test('marks a surging account, in words, with how far above normal it is', () => {
    expect(renderAccountCard(base)).not.toContain('data-field="surge"');
    expect(renderAccountCard(base)).not.toContain('data-surge');
    expect(renderAccountCard(base)).not.toContain('data-field="backoff"');
    const html = renderAccountCard(surging);
    expect(html).toContain('data-surge="true"');
    const mark = /<p class="surge" data-field="surge">(.*?)<\/p>/.exec(html)?.[1]?.replace(/<[^>]+>/g, '');
    expect(mark).toBe(
      '⚡ Spend surge: the last hour cost 25.0 times the normal hour (above 60.00). ' +
        'Check for SMS pumping, a leaked API key or a sending loop.',
    );
    expect(renderAccountCard(fromNothing)).toContain('the last hour cost far more than the normal hour (above 10.00)');
  });

  test('counts a surging account as needing attention, whatever its state', () => {
    expect(renderSummary({ ...report, accounts: [base] })).toBe('<strong>All 1 account(s) OK</strong> (1 ok)');
    expect(renderSummary({ ...report, accounts: [base, surging] })).toBe(
      '<strong>1 of 2 account(s) need attention</strong> (1 with a spend surge, 2 ok)',
    );
  });

  test("says when the threshold is the alert rules' default rather than the account's own", () => {
    const own = /<dt>([^<]*)<\/dt><dd data-field="threshold">/.exec(renderAccountCard(base))?.[1];
    const fallback = /<dt>([^<]*)<\/dt><dd data-field="threshold">/.exec(
      renderAccountCard({ ...base, lowBalanceThresholdSource: 'rules_default' }),
    )?.[1];
    expect(own).toBe('Low below');
    expect(fallback).toMatch(/default/);
  });

  test('escapes text that comes from the upstream', () => {
    const html = renderAccountCard(failing);
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });

  test('shows state as text, not by colour alone', () => {
    for (const account of report.accounts) {
      const badge = /<p class="badge"[^>]*>(.*?)<\/p>/.exec(renderAccountCard(account))?.[1] ?? '';
      expect(badge.replace(/<[^>]+>/g, '').trim()).toMatch(/[A-Za-z]{2,}/);
    }
  });

  test("the CSP admits exactly the page's inline style and script, by hash", () => {
    const html = renderLandingPage({
      report,
      telemetryPath: '/custom-metrics',
      statusApiPath: '/api/v1/status',
      refreshMs: 3000,
    });
    expect(html.match(/<script/g)).toHaveLength(1);
    expect(html.match(/<style/g)).toHaveLength(1);
    expect(html).not.toMatch(/ style="/);
    const hash = (text: string): string => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
    const script = /<script>([\s\S]*?)<\/script>/.exec(html)?.[1] ?? '';
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)?.[1] ?? '';
    const csp = statusPageCsp();
    expect(csp).toContain(`script-src ${hash(script)};`);
    expect(csp).toContain(`style-src ${hash(style)};`);
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(html).toContain('href="/custom-metrics"');
    expect(html).toContain('9.9.9');
  });

  test('labels the chart with the span its points cover', () => {
    // The base account's points are 11:50 to 12:00.
    expect(renderAccountCard(base)).toContain('aria-label="Balance over the last 10 min:');
  });

  test.each([
    [0, '0 s'],
    [59.4, '59 s'],
    [60, '1 min'],
    [3600, '1 h'],
    [3660, '1 h 1 min'],
    [86400, '1 d'],
    [90000, '1 d 1 h'],
  ])('humanDuration(%s) = %s', (seconds, text) => {
    expect(humanDuration(seconds)).toBe(text);
  });
});

describe('back-off on the card', () => {
  test('says the account is rate limited, how often it is polled now, and when next', () => {
    const html = renderAccountCard({
      ...base,
      state: 'failing',
      backoff: { seconds: 480, streak: 3, nextPollAt: '2025-01-01T12:08:00.000Z' },
    });
    expect(html).toContain(
      '<p class="backoff" data-field="backoff"><strong><span aria-hidden="true">⏳</span> Backing off:</strong> ITNIO answered “frequent query” (status -15) 3 times in a row, ' +
        'so this account is polled every 8 min until it answers otherwise; next poll from <time datetime="2025-01-01T12:08:00.000Z">12:08:00 UTC</time>.</p>',
    );
  });
});
