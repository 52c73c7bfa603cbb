import { steadyNow } from '../clock/steady';
import { sameItnioAccount, type Account } from '../config/account';
import type { BalanceValues } from '../itnio/response';
import type { BalanceOutcome } from '../itnio/client';
import { failureReasonWords, statusMeaning } from '../itnio/failures';
import { PollBackoff, type BackoffOptions, type BackoffState, type BackoffStreak } from '../polling/backoff';
import { BALANCE_POLL } from '../polling/balance-kind';
import type { PollOutcome, PollTarget } from '../polling/kind';
import type { PollResult } from '../polling/poller';
import { BalanceHistory, type HistoryOptions, type HistoryPoint } from './balance-history';
import { balanceCountsAfter, emptyBalanceCounts, type BalanceCounts } from './balance-counts';

export { MAX_UNKNOWN_STATUSES } from './balance-counts';

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
 * What the exporter knows of one account from its getBalance polls; holds no key or secret. Its
 * times are the steady clock's (src/clock/steady.ts), so ages never go negative when the wall
 * clock steps. Replaced, never changed in place, so a snapshot of the store stays as it was.
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

/**
 * The state slot of a kind of poll other than getBalance (src/polling/kind.ts): how a result of
 * that kind changes the account's slot. Return a new value; never change `previous` in place
 * (snapshots share it).
 */
export interface PollKindState<S = unknown> {
  readonly name: string;
  record(previous: S | undefined, result: PollResult<PollOutcome>): S;
}

/** One account as the store holds it, at one instant: the poller's target and every reader's view. */
export interface AccountView extends PollTarget {
  readonly status: Readonly<AccountStatus>;
  readonly counts: BalanceCounts;
  /** The state of each other kind of poll, by kind name (absent before its first result). */
  readonly slots: ReadonlyMap<string, unknown>;
}

/** The store's one entry per configured account; kept across reloads while it is the same ITNIO account. */
class AccountEntry implements AccountView {
  status: AccountStatus;
  readonly history: BalanceHistory;
  counts: BalanceCounts = emptyBalanceCounts();
  slots: ReadonlyMap<string, unknown> = new Map();
  streak: BackoffStreak | undefined;
  private readonly removal = new AbortController();
  private signing = new AbortController();
  constructor(
    public account: Account,
    history: HistoryOptions,
  ) {
    this.status = withThreshold({ name: account.name }, account);
    this.history = new BalanceHistory(history);
  }

  /** Aborted once a reload drops this entry: the poller drops its polls (src/polling/poller.ts). */
  get removed(): AbortSignal {
    return this.removal.signal;
  }

  /** Aborted once requests sent with the account as it is now no longer speak for it: the poller aborts them. */
  get credentials(): AbortSignal {
    return this.signing.signal;
  }

  /** Marks the entry as no longer the store's. */
  remove(): void {
    this.removal.abort();
    this.signing.abort();
  }

  /** Takes a new secret: requests signed with the old one are revoked. */
  resign(account: Account): void {
    const revoked = this.signing;
    this.signing = new AbortController();
    this.account = account;
    revoked.abort();
  }
}

/** Told of every change, after the store has applied it. */
export interface AccountStoreListener {
  /** A getBalance poll result was recorded; `status` is the account's state after it. */
  onResult?(result: PollResult, status: Readonly<AccountStatus>): void;
  /**
   * The set of accounts changed (a reload). `added` were not configured before; `replaced` kept
   * their name but now poll another ITNIO account (key or base URL changed), so the store
   * dropped what it knew of them. Both want polling at once. A new secret alone is neither.
   */
  onAccounts?(accounts: readonly Account[], changes: AccountChanges): void;
  /** Anything changed (a result of any kind, a reload); the change count has moved. */
  onChange?(): void;
}

/** How often each part of the store changed, so a reader can tell which of its views are current. */
export interface StoreChangeCounts {
  /** Reloads (setAccounts). */
  accounts: number;
  /** Recorded getBalance polls of any outcome. */
  polls: number;
  successes: number;
  /** API errors and failures. */
  errors: number;
  /** Changes of an account's back-off interval. */
  backoffs: number;
  /** Results of other kinds of poll. */
  slots: number;
}

export interface AccountChanges {
  added: readonly Account[];
  replaced: readonly Account[];
  /** Kept, with a new secret: in-flight polls signed with the old one count for nothing. */
  resigned: readonly Account[];
}

export interface AccountStoreOptions {
  accounts: readonly Account[];
  /** --poll.max-age: spend across a longer gap between successful polls counts 0. */
  maxAgeMs: number;
  history?: Omit<HistoryOptions, 'maxGapMs'>;
  /** The steady clock (the default): the history's window moves with it. */
  now?: () => number;
  /** Back off an account ITNIO answers with -15, for every kind of poll; without it (`--check`), never. */
  backoff?: BackoffOptions;
}

/**
 * The one owner of each account: its configuration and identity, last outcome, last good values
 * and their time, counts, history, back-off, and the state slot of each other kind of poll.
 * Poll results are recorded here once; metrics, the status report, readiness and `--check` read
 * from it; the poller asks it what to poll. A reload changes the set of accounts here, and only
 * here.
 */
export class AccountStore {
  private entries = new Map<string, AccountEntry>();
  private readonly historyOptions: HistoryOptions;
  private readonly listeners: AccountStoreListener[] = [];
  private readonly kinds = new Map<string, PollKindState>();
  private readonly backoff: PollBackoff | undefined;
  private accounts: readonly Account[] = [];
  private changes = 0;
  private readonly counts: StoreChangeCounts = {
    accounts: 0,
    polls: 0,
    successes: 0,
    errors: 0,
    backoffs: 0,
    slots: 0,
  };
  private view: { change: number; accounts: readonly AccountView[] } | undefined;

  constructor(options: AccountStoreOptions) {
    this.historyOptions = { ...options.history, maxGapMs: options.maxAgeMs, now: options.now ?? steadyNow };
    // Checks the history's bounds now, even with no account configured.
    new BalanceHistory(this.historyOptions);
    this.backoff = options.backoff ? new PollBackoff(options.backoff) : undefined;
    this.setAccounts(options.accounts);
  }

  /** Grows with every change, so a reader can tell its cached view is current. */
  get changeCount(): number {
    return this.changes;
  }

  /** How often each part changed (every one of them also moves changeCount). */
  changeCounts(): Readonly<StoreChangeCounts> {
    return this.counts;
  }

  /** Listeners are called in the order they subscribed; returns an unsubscribe function. */
  subscribe(listener: AccountStoreListener): () => void {
    this.listeners.push(listener);
    return () => {
      const at = this.listeners.indexOf(listener);
      if (at >= 0) this.listeners.splice(at, 1);
    };
  }

  /** Gives a kind of poll its state slot on every account; results of an unregistered kind are not kept. */
  registerKind(kind: PollKindState): void {
    if (kind.name === BALANCE_POLL || this.kinds.has(kind.name))
      throw new Error(`AccountStore: a kind of poll named "${kind.name}" is already registered`);
    this.kinds.set(kind.name, kind);
  }

  /** The configured accounts, in configuration order. */
  configured(): readonly Account[] {
    return this.accounts;
  }

  /** Every account at this instant, in configuration order; unchanged objects until the next change. */
  snapshot(): readonly AccountView[] {
    if (this.view?.change !== this.changes) {
      const accounts = [...this.entries.values()].map((e): AccountView => ({
        account: e.account,
        status: e.status,
        counts: e.counts,
        slots: e.slots,
      }));
      this.view = { change: this.changes, accounts };
    }
    return this.view.accounts;
  }

  /** The poll targets of every account (all kinds), in configuration order. */
  targets(): readonly PollTarget[] {
    return [...this.entries.values()];
  }

  /** The poll target of one account; undefined when it is not configured. */
  target(name: string): PollTarget | undefined {
    return this.entries.get(name);
  }

  /** The targets whose back-off allows a scheduled poll now (`nowSteadyMs`), for any kind. */
  due(nowSteadyMs: number): readonly PollTarget[] {
    const { backoff } = this;
    const all = [...this.entries.values()];
    return backoff ? all.filter((e) => backoff.allows(e.streak, nowSteadyMs)) : all;
  }

  /**
   * Whether a poll of `target` still speaks for an account the store holds (not removed, not
   * replaced) and, given what it was sent with (`sentAs`), was signed with the secret in force.
   */
  isCurrent(target: PollTarget | undefined, sentAs?: Account): boolean {
    if (target === undefined || this.entries.get(target.account.name) !== target) return false;
    return sentAs === undefined || sentAs.apiSecret === target.account.apiSecret;
  }

  /**
   * Replaces the set of accounts. A kept account keeps its entry: state, counts, history,
   * back-off and slots (its threshold and secret follow the new entry); a removed one loses them
   * all, and so does one whose key or base URL changed (another ITNIO account under the same
   * name). Returns what changed.
   */
  setAccounts(accounts: readonly Account[]): AccountChanges {
    const previous = this.entries;
    const added: Account[] = [];
    const replaced: Account[] = [];
    const resigned: Account[] = [];
    this.entries = new Map();
    for (const account of accounts) {
      let entry = previous.get(account.name);
      if (!entry) added.push(account);
      else if (!sameItnioAccount(entry.account, account)) replaced.push(account);
      if (!entry || replaced.includes(account)) entry = new AccountEntry(account, this.historyOptions);
      else {
        if (entry.account.apiSecret !== account.apiSecret) {
          resigned.push(account);
          entry.resign(account);
        }
        entry.account = account;
        entry.status = withThreshold({ ...entry.status }, account);
      }
      this.entries.set(account.name, entry);
    }
    // Removed and replaced entries: their queued and in-flight polls end now.
    for (const [name, entry] of previous) if (this.entries.get(name) !== entry) entry.remove();
    this.accounts = accounts;
    this.changes++;
    this.counts.accounts++;
    const changes = { added, replaced, resigned };
    for (const listener of this.listeners) listener.onAccounts?.(accounts, changes);
    this.changed();
    return changes;
  }

  /**
   * Records a finished poll of any kind and returns the account's back-off after it. An aborted
   * poll, one whose target the store no longer holds (removed, or now another ITNIO account),
   * and one signed with a secret rotated since, change nothing.
   */
  record<O extends PollOutcome>(result: PollResult<O>): BackoffState | undefined {
    const entry = result.target;
    if (!(entry instanceof AccountEntry) || result.outcome.kind === 'aborted') return;
    if (!this.isCurrent(entry, result.account)) return;
    this.changes++;
    const backoff = this.recordBackoff(entry, result);
    const kind = result.kind ?? BALANCE_POLL;
    if (kind === BALANCE_POLL)
      this.recordBalance(entry, { ...(result as PollResult), ...(backoff ? { backoff } : {}) });
    else this.recordSlot(entry, kind, result);
    this.changed();
    return backoff;
  }

  list(): AccountStatus[] {
    return [...this.entries.values()].map((e) => e.status);
  }

  get(name: string): Readonly<AccountStatus> | undefined {
    return this.entries.get(name)?.status;
  }

  /** The state slot of a kind of poll for one account; undefined before its first result. */
  slot<S>(name: string, kind: string): S | undefined {
    return this.entries.get(name)?.slots.get(kind) as S | undefined;
  }

  /** True once every account has finished at least one getBalance poll attempt. */
  allAttempted(): boolean {
    for (const entry of this.entries.values()) if (entry.status.lastAttemptMs === undefined) return false;
    return true;
  }

  /** The account's kept balances within the history span, oldest first (copies). */
  points(name: string): HistoryPoint[] {
    return this.entries.get(name)?.history.points() ?? [];
  }

  /** Spend per day over the recording rule's window; undefined before two successful polls. */
  spendPerDay(name: string, windowMs?: number): number | undefined {
    return this.entries.get(name)?.history.spendPerDay(windowMs);
  }

  /** The shared back-off takes every kind's outcome: a -15 from any endpoint slows them all. */
  private recordBackoff(entry: AccountEntry, result: PollResult<PollOutcome>): BackoffState | undefined {
    if (!this.backoff) return undefined;
    const startedSteadyMs = result.startedSteadyMs ?? result.finishedSteadyMs - result.durationSeconds * 1000;
    const { streak, state } = this.backoff.next(entry.streak, result.outcome, startedSteadyMs);
    if ((streak?.intervalMs ?? 0) !== (entry.streak?.intervalMs ?? 0)) this.counts.backoffs++;
    entry.streak = streak;
    const status = { ...entry.status };
    if (state.seconds > 0 && state.nextPollSteadyMs !== undefined)
      status.backoff = { seconds: state.seconds, streak: state.streak, nextPollMs: state.nextPollSteadyMs };
    else delete status.backoff;
    entry.status = status;
    return state;
  }

  private recordBalance(entry: AccountEntry, result: PollResult): void {
    const { outcome } = result;
    const at = result.finishedSteadyMs;
    const status: AccountStatus = { ...entry.status, lastAttemptMs: at, lastOk: outcome.kind === 'success' };
    if (outcome.kind === 'success') {
      status.lastSuccessMs = at;
      status.values = { balance: outcome.balance, gift: outcome.gift, credit: outcome.credit };
      entry.history.add(at, outcome.balance);
    } else if (outcome.kind !== 'aborted') {
      status.lastError = lastErrorOf(outcome, at);
    }
    entry.status = status;
    entry.counts = balanceCountsAfter(entry.counts, result);
    this.counts.polls++;
    if (outcome.kind === 'success') this.counts.successes++;
    else this.counts.errors++;
    for (const listener of this.listeners) listener.onResult?.(result, status);
  }

  private recordSlot(entry: AccountEntry, kind: string, result: PollResult<PollOutcome>): void {
    const state = this.kinds.get(kind);
    if (!state) return;
    const slots = new Map(entry.slots);
    slots.set(kind, state.record(entry.slots.get(kind), result));
    entry.slots = slots;
    this.counts.slots++;
  }

  private changed(): void {
    for (const listener of this.listeners) listener.onChange?.();
  }
}

function withThreshold(status: AccountStatus, account: Account): AccountStatus {
  if (account.lowBalanceThreshold === undefined) delete status.lowBalanceThreshold;
  else status.lowBalanceThreshold = account.lowBalanceThreshold;
  return status;
}

function lastErrorOf(outcome: Exclude<BalanceOutcome, { kind: 'success' | 'aborted' }>, atMs: number): LastError {
  if (outcome.kind === 'api_error')
    return {
      kind: 'api_error',
      code: outcome.status,
      meaning: statusMeaning(outcome.status),
      detail: outcome.reason,
      atMs,
    };
  return {
    kind: 'failure',
    code: outcome.reason,
    meaning: failureReasonWords(outcome.reason).meaning,
    detail: outcome.detail,
    atMs,
  };
}
