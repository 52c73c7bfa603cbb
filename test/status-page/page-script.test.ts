import { existsSync } from 'node:fs';
import type { AccountReport, StatusReport } from '../../src/status-page/report';
import { PAGE_SCRIPT, runPageScript } from '../support/page-script';

/*
 * Runs the page script as the build bundles it (dist/, as `npm start` serves it), not ts-jest's
 * output: a bundle that misses a module, or a script that throws without a browser, fails here.
 */

const account = (name: string, state: AccountReport['state'], balance: number | null): AccountReport => ({
  name,
  state,
  stateReason: `reason of ${name}`,
  balance,
  gift: 0,
  credit: 0,
  lowBalanceThreshold: 100,
  lowBalanceThresholdSource: 'account',
  belowThreshold: balance !== null && balance < 100,
  lastAttemptAt: '2025-01-01T12:00:00.000Z',
  lastSuccessAt: balance === null ? null : '2025-01-01T12:00:00.000Z',
  lastSuccessAgeSeconds: balance === null ? null : 65,
  lastError:
    state === 'failing'
      ? {
          kind: 'api_status',
          code: '-1',
          meaning: 'authentication error',
          hint: 'check the key',
          detail: 'bad sign',
          at: '2025-01-01T12:00:00.000Z',
        }
      : null,
  spendPerDay: balance === null ? null : 48,
  daysLeft: balance === null ? null : balance / 48,
  spendWindowSeconds: 21600,
  spendDataSeconds: 21600,
  spendPerHour: balance === null ? null : 2,
  normalSpendPerHour: balance === null ? null : 3,
  normalSpendHours: balance === null ? 0 : 22,
  normalSpendMinHours: 20,
  surgeThresholdPerHour: balance === null ? null : 15,
  spendSurge: false,
  backoff: null,
  currency: null,
  numbers: null,
  chart:
    balance === null
      ? []
      : [
          [1735731000, balance + 20],
          [1735732800, balance],
        ],
});

const report: StatusReport = {
  exporter: { name: 'itniotech-exporter', version: '9.9.9' },
  generatedAt: '2025-01-01T12:01:05.000Z',
  pollDescription: 'every 60s',
  maxAgeSeconds: 3600,
  spendWindowSeconds: 21600,
  spendSurgeRule: { factor: 5, floorPerHour: 10, normalQuantile: 0.9, normalMinHours: 20 },
  accounts: [account('shop', 'ok', 1234.5), account('alerts', 'low', 50), account('otp', 'failing', null)],
};

// In CI a missing build fails the tests below rather than skipping them.
const describeBuilt = existsSync(PAGE_SCRIPT) || process.env.CI === 'true' ? describe : describe.skip;
if (!existsSync(PAGE_SCRIPT))
  console.warn(`page script test skipped: no ${PAGE_SCRIPT} (npm test builds it; or run npm run build)`);

describeBuilt('the built status page script', () => {
  test('renders the cards and summary from the JSON API in a bare context', async () => {
    const { element, dataset, fetched } = await runPageScript(report);

    expect(fetched).toEqual(['/api/v1/status']);
    expect(element('connection').hidden).toBe(true);
    expect(dataset.updates).toBe('1');
    const cards = element('accounts').innerHTML;
    for (const a of report.accounts) expect(cards).toContain(`data-account="${a.name}" data-state="${a.state}"`);
    expect(cards).toContain('1,234.50');
    expect(cards).toContain('1 min ago');
    expect(cards).toContain('authentication error');
    expect(cards).toContain('2.00 · normal hour: 3.00');
    expect(cards.match(/<polyline /g)).toHaveLength(2);
    expect(element('summary').innerHTML).toContain('2 of 3 account(s) need attention');
    expect(element('updated').textContent).toBe('12:01:05 UTC');
  });
});
