import { accountState, type AccountState } from '../../src/status-page/verdict';
import type { AccountStatus } from '../../src/store/account-store';

const NOW = Date.UTC(2025, 0, 1, 12);
const MAX_AGE = 60 * 60 * 1000;
const error = {
  kind: 'api_error' as const,
  code: '-1',
  meaning: 'authentication error',
  detail: 'authentication error',
  atMs: NOW - 1000,
};
const values = (balance: number) => ({ balance, gift: 0, credit: 0 });

describe('accountState', () => {
  const cases: Array<{ name: string; status: AccountStatus; expected: AccountState }> = [
    { name: 'no poll finished yet', status: { name: 'a' }, expected: 'stale' },
    {
      name: 'fresh success above threshold',
      status: {
        name: 'a',
        lowBalanceThreshold: 100,
        lastAttemptMs: NOW,
        lastOk: true,
        lastSuccessMs: NOW,
        values: values(150),
      },
      expected: 'ok',
    },
    // Without a threshold of its own the account is judged by the alert rules' default (100).
    {
      name: 'no threshold, above the rules default',
      status: { name: 'a', lastAttemptMs: NOW, lastOk: true, lastSuccessMs: NOW, values: values(150) },
      expected: 'ok',
    },
    {
      name: 'no threshold, exactly at the rules default is not low',
      status: { name: 'a', lastAttemptMs: NOW, lastOk: true, lastSuccessMs: NOW, values: values(100) },
      expected: 'ok',
    },
    {
      name: 'no threshold, below the rules default',
      status: { name: 'a', lastAttemptMs: NOW, lastOk: true, lastSuccessMs: NOW, values: values(1) },
      expected: 'low',
    },
    {
      name: 'an own threshold under the rules default wins',
      status: {
        name: 'a',
        lowBalanceThreshold: 10,
        lastAttemptMs: NOW,
        lastOk: true,
        lastSuccessMs: NOW,
        values: values(50),
      },
      expected: 'ok',
    },
    {
      name: 'below threshold',
      status: {
        name: 'a',
        lowBalanceThreshold: 100,
        lastAttemptMs: NOW,
        lastOk: true,
        lastSuccessMs: NOW,
        values: values(99.99),
      },
      expected: 'low',
    },
    {
      name: 'exactly at threshold is not low',
      status: {
        name: 'a',
        lowBalanceThreshold: 100,
        lastAttemptMs: NOW,
        lastOk: true,
        lastSuccessMs: NOW,
        values: values(100),
      },
      expected: 'ok',
    },
    {
      name: 'negative balance below threshold',
      status: {
        name: 'a',
        lowBalanceThreshold: 0,
        lastAttemptMs: NOW,
        lastOk: true,
        lastSuccessMs: NOW,
        values: values(-5),
      },
      expected: 'low',
    },
    {
      name: 'never succeeded, last poll failed',
      status: { name: 'a', lastAttemptMs: NOW, lastOk: false, lastError: error },
      expected: 'failing',
    },
    {
      name: 'failing beats low',
      status: {
        name: 'a',
        lowBalanceThreshold: 100,
        lastAttemptMs: NOW,
        lastOk: false,
        lastSuccessMs: NOW - 5000,
        values: values(5),
        lastError: error,
      },
      expected: 'failing',
    },
    {
      name: 'failing beats stale',
      status: {
        name: 'a',
        lastAttemptMs: NOW,
        lastOk: false,
        lastSuccessMs: NOW - 2 * MAX_AGE,
        values: values(500),
        lastError: error,
      },
      expected: 'failing',
    },
    {
      name: 'last success older than max age, no failure (polls hang)',
      status: {
        name: 'a',
        lowBalanceThreshold: 100,
        lastAttemptMs: NOW - MAX_AGE - 1,
        lastOk: true,
        lastSuccessMs: NOW - MAX_AGE - 1,
        values: values(5),
      },
      expected: 'stale',
    },
    {
      name: 'exactly at max age is still fresh',
      status: {
        name: 'a',
        lastAttemptMs: NOW - MAX_AGE,
        lastOk: true,
        lastSuccessMs: NOW - MAX_AGE,
        values: values(500),
      },
      expected: 'ok',
    },
    {
      name: 'recovered after an error',
      status: {
        name: 'a',
        lastAttemptMs: NOW,
        lastOk: true,
        lastSuccessMs: NOW,
        values: values(500),
        lastError: error,
      },
      expected: 'ok',
    },
  ];
  test.each(cases)('$name -> $expected', ({ status, expected }) => {
    const verdict = accountState(status, NOW, MAX_AGE);
    expect(verdict.state).toBe(expected);
    expect(verdict.reason.length).toBeGreaterThan(0);
  });
});

describe("the rules' default low-balance threshold", () => {
  test('is named in the reason, so the page says why an account without a threshold is low', () => {
    const verdict = accountState(
      { name: 'a', lastAttemptMs: NOW, lastOk: true, lastSuccessMs: NOW, values: values(1) },
      NOW,
      MAX_AGE,
    );
    expect(verdict.reason).toMatch(/default/);
    expect(verdict.reason).toContain('100');
  });
});
