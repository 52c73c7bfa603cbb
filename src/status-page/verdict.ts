import type { AccountStatus } from '../store/account-store';

export const ACCOUNT_STATES = ['ok', 'low', 'failing', 'stale'] as const;
export type AccountState = (typeof ACCOUNT_STATES)[number];

export interface AccountStateVerdict {
  state: AccountState;
  /** One short sentence saying why, for people. */
  reason: string;
}

/**
 * The threshold ItniotechBalanceLow applies to an account without its own: the `100` in
 * itniotech:balance_low_threshold:effective (prometheus/rules/itniotech.rules.yml).
 */
export const RULES_DEFAULT_LOW_BALANCE_THRESHOLD = 100;

export interface LowBalanceThreshold {
  value: number;
  /** account: its own low_balance_threshold; rules_default: none configured, the rules' default. */
  source: 'account' | 'rules_default';
}

/** The threshold the alert rules judge this account by, so the page says low when they do. */
export function lowBalanceThreshold(status: AccountStatus): LowBalanceThreshold {
  return status.lowBalanceThreshold === undefined
    ? { value: RULES_DEFAULT_LOW_BALANCE_THRESHOLD, source: 'rules_default' }
    : { value: status.lowBalanceThreshold, source: 'account' };
}

/**
 * The one state an account is shown in. Precedence, first match wins:
 *
 * 1. failing: the last finished poll failed. Its error and hint say what to do, and a failing
 *    poll is also why data goes stale, so it names the cause rather than the symptom.
 * 2. stale: no successful poll within `maxAgeMs` although the last poll did not fail (polls are
 *    not finishing: a hung request or a stopped poll loop), or no poll has finished yet.
 * 3. low: the balance is strictly below the account's low-balance threshold, or the alert
 *    rules' default without one (as the ItniotechBalanceLow alert: exactly at it is not low).
 * 4. ok.
 */
export function accountState(status: AccountStatus, nowMs: number, maxAgeMs: number): AccountStateVerdict {
  if (status.lastAttemptMs !== undefined && status.lastOk === false) {
    return {
      state: 'failing',
      reason: status.lastSuccessMs === undefined ? 'every poll so far has failed' : 'the last poll failed',
    };
  }
  if (status.lastSuccessMs === undefined) return { state: 'stale', reason: 'waiting for the first poll' };
  if (nowMs - status.lastSuccessMs > maxAgeMs)
    return { state: 'stale', reason: 'no successful poll within the maximum age' };
  const balance = status.values?.balance;
  const threshold = lowBalanceThreshold(status);
  const which =
    threshold.source === 'account'
      ? 'its low-balance threshold'
      : `the alert rules' default threshold of ${threshold.value} (none configured)`;
  if (balance !== undefined && balance < threshold.value) return { state: 'low', reason: `balance is below ${which}` };
  return { state: 'ok', reason: `the last poll succeeded; the balance is not below ${which}` };
}
