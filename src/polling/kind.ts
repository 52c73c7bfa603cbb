import type { Account } from '../config/account';

/**
 * What every kind of poll answers, whatever its values: the poller, the shared back-off and the
 * store read only `kind` (and the API `status` of an API error).
 */
export type PollOutcome =
  | { kind: 'success' }
  | { kind: 'api_error'; status: string }
  | { kind: 'failure'; rateLimited?: true; retryAfterMs?: number }
  | { kind: 'aborted' };

/**
 * One kind of poll (getBalance, and later e.g. number/queryPage): a name and how to poll one
 * account. Registered in one table (src/app/poll-kinds.ts); the poller, its concurrency limit,
 * the -15 back-off and the store are shared by every kind.
 */
export interface PollKind<O extends PollOutcome = PollOutcome> {
  /** Unique; names the kind's state slot in the store and its scheduler. */
  readonly name: string;
  /** Polls one account; reports failures as outcomes, and `aborted` when `signal` fires. */
  poll(account: Account, signal: AbortSignal): Promise<O>;
}

/** What the poller polls: the store's entry of an account (its identity across reloads). */
export interface PollTarget {
  /** The account's configuration in force; a reload may replace it on a kept entry. */
  readonly account: Account;
  /**
   * Aborted when the store stops holding this entry (a reload removed it, or made it another
   * ITNIO account): the poller drops its queued polls and aborts those in flight. Absent: never.
   */
  readonly removed?: AbortSignal;
  /**
   * Aborted when requests sent with `account` as it is now no longer speak for the account: the
   * entry was removed or replaced, or its secret rotated (the entry then gets a new signal). The
   * poller aborts a request in flight when the signal it went out with aborts. Absent: never.
   */
  readonly credentials?: AbortSignal;
}
