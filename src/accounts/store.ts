import type { Account } from '../config/account';
import type { BalanceValues } from '../itnio/response';
import { failureReasonWords, statusMeaning } from '../itnio/failures';
import type { PollResult } from '../polling/poller';

export interface LastError {
  /** api_error: the API answered a non-zero status; failure: no usable answer. */
  kind: 'api_error' | 'failure';
  /** API status code for an API failure, otherwise the failure reason (timeout, network…). */
  code: string;
  meaning: string;
  detail: string;
  atMs: number;
}

export interface AccountStatus {
  name: string;
  lowBalanceThreshold?: number;
  lastAttemptMs?: number;
  lastSuccessMs?: number;
  lastOk?: boolean;
  values?: BalanceValues;
  lastError?: LastError;
}


/** The latest poll state of each account, for the landing page and readiness; no secrets. */
export class AccountStatusStore {
  private readonly statuses = new Map<string, AccountStatus>();
  private changes = 0;

  constructor(accounts: readonly Account[]) {
    this.setAccounts(accounts);
  }

  /** Grows with every change, so a reader can tell its cached view is current. */
  get changeCount(): number {
    return this.changes;
  }

  setAccounts(accounts: readonly Account[]): void {
    this.changes++;
    const previous = new Map(this.statuses);
    this.statuses.clear();
    for (const account of accounts) {
      const kept = previous.get(account.name);
      const status: AccountStatus = kept ?? { name: account.name };
      if (account.lowBalanceThreshold === undefined) delete status.lowBalanceThreshold;
      else status.lowBalanceThreshold = account.lowBalanceThreshold;
      this.statuses.set(account.name, status);
    }
  }

  record(result: PollResult): void {
    const status = this.statuses.get(result.account.name);
    if (!status || result.outcome.kind === 'aborted') return;
    this.changes++;
    const finishedMs = result.startedAt + result.durationSeconds * 1000;
    status.lastAttemptMs = finishedMs;
    const { outcome } = result;
    switch (outcome.kind) {
      case 'success':
        status.lastOk = true;
        status.lastSuccessMs = finishedMs;
        status.values = { balance: outcome.balance, gift: outcome.gift, credit: outcome.credit };
        break;
      case 'api_error':
        status.lastOk = false;
        status.lastError = {
          kind: 'api_error',
          code: outcome.status,
          meaning: statusMeaning(outcome.status),
          detail: outcome.reason,
          atMs: finishedMs,
        };
        break;
      case 'failure':
        status.lastOk = false;
        status.lastError = {
          kind: 'failure',
          code: outcome.reason,
          meaning: failureReasonWords(outcome.reason).meaning,
          detail: outcome.detail,
          atMs: finishedMs,
        };
        break;
    }
  }

  list(): AccountStatus[] {
    return [...this.statuses.values()];
  }

  /** True once every account has finished at least one poll attempt. */
  allAttempted(): boolean {
    return this.list().every((s) => s.lastAttemptMs !== undefined);
  }
}
