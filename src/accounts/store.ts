import { steadyNow } from '../clock/steady';
import { sameItnioAccount, type Account } from '../config/account';
import type { BalanceValues } from '../itnio/response';
import { failureReasonWords, statusMeaning } from '../itnio/failures';
import type { PollResult } from '../polling/poller';
import { BalanceHistory, type HistoryOptions, type HistoryPoint } from './history';

export interface LastError {
  /** api_error: the API answered a non-zero status; failure: no usable answer. */
  kind: 'api_error' | 'failure';
  /** API status code for an API failure, otherwise the failure reason (timeout, network…). */
  code: string;
  meaning: string;
  detail: string;
  atMs: number;
}

/**
 * What the exporter knows of one account from its polls; holds no key or secret. Its times are
 * the steady clock's (src/clock/steady.ts), so ages never go negative when the wall clock steps.
 */
export interface AccountStatus {
  name: string;
  lowBalanceThreshold?: number;
  /** When the last finished poll's answer (or failure) arrived. */
  lastAttemptMs?: number;
  /** When the last successful poll's answer arrived: the age of `values`. */
  lastSuccessMs?: number;
  lastOk?: boolean;
  /** The values of the last successful poll. */
  values?: BalanceValues;
  lastError?: LastError;
  /** Set while the account backs off after consecutive -15 ("frequent query") answers. */
  backoff?: AccountBackoff;
}

interface AccountBackoff {
  /** The widened poll interval. */
  seconds: number;
  /** Consecutive -15 answers behind it. */
  streak: number;
  /** Steady-clock time of the next allowed poll. */
  nextPollMs: number;
}

/** Told of every change, after the store has applied it. */
export interface AccountStoreListener {
  /** A poll result was recorded; `status` is the account's state after it. */
  onResult?(result: PollResult, status: Readonly<AccountStatus>): void;
  /**
   * The set of accounts changed (a reload). `added` were not configured before; `replaced` kept
   * their name but now poll another ITNIO account (key, secret or base URL changed), so the
   * store dropped what it knew of them. Both want polling at once.
   */
  onAccounts?(accounts: readonly Account[], changes: AccountChanges): void;
}

export interface AccountChanges {
  added: readonly Account[];
  replaced: readonly Account[];
}

export interface AccountStoreOptions {
  accounts: readonly Account[];
  /** --poll.max-age: spend across a longer gap between successful polls counts 0. */
  maxAgeMs: number;
  history?: Omit<HistoryOptions, 'maxGapMs'>;
  /** The steady clock (the default): the history's window moves with it. */
  now?: () => number;
}

/**
 * The one owner of per-account poll state: each poll result is recorded here once (last
 * outcome, last good values and their time, the balance history for the page). Metrics, the
 * status report and readiness read from it or subscribe to it; a reload changes the set of
 * accounts here, in one place.
 */
export class AccountStore {
  private readonly statuses = new Map<string, AccountStatus>();
  private readonly history: BalanceHistory;
  private readonly listeners: AccountStoreListener[] = [];
  private accounts: readonly Account[] = [];
  private byName = new Map<string, Account>();
  private changes = 0;

  constructor(options: AccountStoreOptions) {
    this.history = new BalanceHistory({
      ...options.history,
      maxGapMs: options.maxAgeMs,
      now: options.now ?? steadyNow,
    });
    this.setAccounts(options.accounts);
  }

  /** Grows with every change, so a reader can tell its cached view is current. */
  get changeCount(): number {
    return this.changes;
  }

  /** Listeners are called in the order they subscribed; returns an unsubscribe function. */
  subscribe(listener: AccountStoreListener): () => void {
    this.listeners.push(listener);
    return () => {
      const at = this.listeners.indexOf(listener);
      if (at >= 0) this.listeners.splice(at, 1);
    };
  }

  /** The configured accounts, in configuration order. */
  configured(): readonly Account[] {
    return this.accounts;
  }

  /**
   * Replaces the set of accounts. A kept account keeps its state and history (its threshold
   * follows the new entry); a removed one loses both, and so does one whose key, secret or base
   * URL changed (another ITNIO account under the same name). Returns what changed.
   */
  setAccounts(accounts: readonly Account[]): AccountChanges {
    this.changes++;
    const previous = new Map(this.statuses);
    this.statuses.clear();
    const added: Account[] = [];
    const replaced: Account[] = [];
    for (const account of accounts) {
      const before = this.byName.get(account.name);
      let status = previous.get(account.name);
      if (!before) added.push(account);
      else if (!sameItnioAccount(before, account)) {
        replaced.push(account);
        status = undefined;
      }
      status ??= { name: account.name };
      if (account.lowBalanceThreshold === undefined) delete status.lowBalanceThreshold;
      else status.lowBalanceThreshold = account.lowBalanceThreshold;
      this.statuses.set(account.name, status);
    }
    this.accounts = accounts;
    this.byName = new Map(accounts.map((a) => [a.name, a]));
    const kept = accounts.filter((a) => !replaced.includes(a)).map((a) => a.name);
    // Drop replaced series first, so they start empty like new ones.
    this.history.setAccounts(kept);
    this.history.setAccounts(accounts.map((a) => a.name));
    const changes = { added, replaced };
    for (const listener of this.listeners) listener.onAccounts?.(accounts, changes);
    return changes;
  }

  /**
   * Records a finished poll. An aborted poll (shutdown, removed account), a poll of an account
   * no longer configured and a poll sent with credentials a reload has since changed change
   * nothing.
   */
  record(result: PollResult): void {
    const status = this.statuses.get(result.account.name);
    const current = this.byName.get(result.account.name);
    if (!status || !current || result.outcome.kind === 'aborted') return;
    // A poll sent with the credentials of before a reload answers for another ITNIO account.
    if (!sameItnioAccount(current, result.account)) return;
    this.changes++;
    const { outcome } = result;
    const finishedAt = result.finishedSteadyMs;
    status.lastAttemptMs = finishedAt;
    switch (outcome.kind) {
      case 'success':
        status.lastOk = true;
        status.lastSuccessMs = finishedAt;
        status.values = { balance: outcome.balance, gift: outcome.gift, credit: outcome.credit };
        this.history.add(status.name, finishedAt, outcome.balance);
        break;
      case 'api_error':
        status.lastOk = false;
        status.lastError = {
          kind: 'api_error',
          code: outcome.status,
          meaning: statusMeaning(outcome.status),
          detail: outcome.reason,
          atMs: finishedAt,
        };
        break;
      case 'failure':
        status.lastOk = false;
        status.lastError = {
          kind: 'failure',
          code: outcome.reason,
          meaning: failureReasonWords(outcome.reason).meaning,
          detail: outcome.detail,
          atMs: finishedAt,
        };
        break;
    }
    if (result.backoff) {
      const { seconds, streak, nextPollSteadyMs } = result.backoff;
      if (seconds > 0 && nextPollSteadyMs !== undefined)
        status.backoff = { seconds, streak, nextPollMs: nextPollSteadyMs };
      else delete status.backoff;
    }
    for (const listener of this.listeners) listener.onResult?.(result, status);
  }

  list(): AccountStatus[] {
    return [...this.statuses.values()];
  }

  get(name: string): Readonly<AccountStatus> | undefined {
    return this.statuses.get(name);
  }

  /** True once every account has finished at least one poll attempt. */
  allAttempted(): boolean {
    for (const status of this.statuses.values()) if (status.lastAttemptMs === undefined) return false;
    return true;
  }

  /** The account's kept balances within the history span, oldest first (copies). */
  points(name: string): HistoryPoint[] {
    return this.history.points(name);
  }

  /** Spend per day over the recording rule's window; undefined before two successful polls. */
  spendPerDay(name: string, windowMs?: number): number | undefined {
    return this.history.spendPerDay(name, windowMs);
  }
}
