import { createHash } from 'node:crypto';
import { runInNewContext } from 'node:vm';
import { renderLandingPage, STATUS_PAGE_CSP } from '../../src/status-page/page';
import { humanDuration, renderAccountCard, renderSummary, STATUS_VIEW_FUNCTIONS } from '../../src/status-page/cards';
import type { AccountReport, StatusReport } from '../../src/status-page/report';

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
  lastError: { kind: 'api_status', code: '-1', meaning: 'authentication error', hint: 'check the key', detail: '<img src=x onerror=alert(1)>', at: '2025-01-01T12:00:00.000Z' },
};
const report: StatusReport = {
  exporter: { name: 'itniotech-exporter', version: '9.9.9' },
  generatedAt: '2025-01-01T12:00:05.000Z',
  pollDescription: 'every 60s',
  maxAgeSeconds: 3600,
  spendWindowSeconds: 21600,
  accounts: [base, failing, { ...base, name: 'single', chart: [[Date.UTC(2025, 0, 1, 12) / 1000, 5]] }],
};

/** The view functions as the page's script defines them: from their source, in a bare context. */
function scriptSide(call: string, data: unknown): unknown {
  const source = STATUS_VIEW_FUNCTIONS.map((fn) => fn.toString()).join('\n');
  return runInNewContext(`${source}\n${call}`, { data });
}

describe('status page view', () => {
  test.each(report.accounts.map((a) => [a.name, a] as const))('the script renders card %s exactly as the server does', (_name, account) => {
    expect(scriptSide('renderAccountCard(data)', account)).toBe(renderAccountCard(account));
  });

  test('the script renders the summary as the server does', () => {
    expect(scriptSide('renderSummary(data)', report)).toBe(renderSummary(report));
  });

  test('says when the threshold is the alert rules\' default rather than the account\'s own', () => {
    const own = /<dt>([^<]*)<\/dt><dd data-field="threshold">/.exec(renderAccountCard(base))?.[1];
    const fallback = /<dt>([^<]*)<\/dt><dd data-field="threshold">/.exec(renderAccountCard({ ...base, lowBalanceThresholdSource: 'rules_default' }))?.[1];
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

  test('the CSP admits exactly the page\'s inline style and script, by hash', () => {
    const html = renderLandingPage({ report, telemetryPath: '/custom-metrics', statusApiPath: '/api/v1/status', refreshMs: 3000 });
    expect(html.match(/<script/g)).toHaveLength(1);
    expect(html.match(/<style/g)).toHaveLength(1);
    expect(html).not.toMatch(/ style="/);
    const hash = (text: string): string => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
    const script = /<script>([\s\S]*?)<\/script>/.exec(html)?.[1] ?? '';
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)?.[1] ?? '';
    expect(STATUS_PAGE_CSP).toContain(`script-src ${hash(script)};`);
    expect(STATUS_PAGE_CSP).toContain(`style-src ${hash(style)};`);
    expect(STATUS_PAGE_CSP).toContain("default-src 'none'");
    expect(STATUS_PAGE_CSP).not.toContain('unsafe-inline');
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
