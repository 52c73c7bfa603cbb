import { runInNewContext } from 'node:vm';
import { renderLandingPage } from '../src/landing-page';
import { humanDuration, renderAccountCard, renderSummary, STATUS_VIEW_FUNCTIONS } from '../src/status-page-view';
import type { AccountReport, StatusReport } from '../src/status-report';

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
  history: [
    { at: '2025-01-01T11:50:00.000Z', balance: 1300 },
    { at: '2025-01-01T11:55:00.000Z', balance: 1250 },
    { at: '2025-01-01T12:00:00.000Z', balance: 1234.5 },
  ],
};
const failing: AccountReport = {
  ...base,
  name: 'otp',
  state: 'failing',
  balance: null,
  gift: null,
  credit: null,
  history: [],
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
  accounts: [base, failing, { ...base, name: 'single', history: [{ at: '2025-01-01T12:00:00.000Z', balance: 5 }] }],
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

  test('the page carries the nonce on its inline style and script and links the metrics path', () => {
    const html = renderLandingPage({ report, telemetryPath: '/custom-metrics', statusApiPath: '/api/v1/status', refreshMs: 3000, nonce: 'abc123' });
    expect(html.match(/<script nonce="abc123">/g)).toHaveLength(1);
    expect(html.match(/<style nonce="abc123">/g)).toHaveLength(1);
    expect(html.match(/<script/g)).toHaveLength(1);
    expect(html).not.toMatch(/ style="/);
    expect(html).toContain('href="/custom-metrics"');
    expect(html).toContain('9.9.9');
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
