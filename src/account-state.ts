import type { AccountStatus } from './account-status';

export const ACCOUNT_STATES = ['ok', 'low', 'failing', 'stale'] as const;
export type AccountState = (typeof ACCOUNT_STATES)[number];

export interface AccountStateVerdict {
  state: AccountState;
  /** One short sentence saying why, for people. */
  reason: string;
}

/**
 * The one state an account is shown in. Precedence, first match wins:
 *
 * 1. failing: the last finished poll failed. Its error and hint say what to do, and a failing
 *    poll is also why data goes stale, so it names the cause rather than the symptom.
 * 2. stale: no successful poll within `maxAgeMs` although the last poll did not fail (polls are
 *    not finishing: a hung request or a stopped poll loop), or no poll has finished yet.
 * 3. low: the balance is strictly below the account's own low-balance threshold (as the
 *    ItniotechBalanceLow alert: exactly at the threshold is not low).
 * 4. ok.
 */
export function accountState(status: AccountStatus, nowMs: number, maxAgeMs: number): AccountStateVerdict {
  if (status.lastAttemptMs !== undefined && status.lastOk === false) {
    return { state: 'failing', reason: status.lastSuccessMs === undefined ? 'every poll so far has failed' : 'the last poll failed' };
  }
  if (status.lastSuccessMs === undefined) return { state: 'stale', reason: 'waiting for the first poll' };
  if (nowMs - status.lastSuccessMs > maxAgeMs) return { state: 'stale', reason: 'no successful poll within the maximum age' };
  const balance = status.values?.balance;
  if (status.lowBalanceThreshold !== undefined && balance !== undefined && balance < status.lowBalanceThreshold) {
    return { state: 'low', reason: 'balance is below its low-balance threshold' };
  }
  const threshold = status.lowBalanceThreshold === undefined ? 'no low-balance threshold is set' : 'the balance is not below its threshold';
  return { state: 'ok', reason: `the last poll succeeded; ${threshold}` };
}
