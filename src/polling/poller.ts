import { steadyNow } from '../clock/steady';
import { sameItnioAccount, type Account } from '../config/account';
import type { BalanceClient, BalanceOutcome } from '../itnio/client';
import { PollBackoff, type BackoffOptions, type BackoffState } from './backoff';

/** One finished poll of one account, as every consumer (metrics, status, logs) sees it. */
export interface PollResult {
  account: Account;
  outcome: BalanceOutcome;
  /** Unix milliseconds when the request was sent. */
  startedAt: number;
  /** Unix milliseconds when the answer (or the failure) arrived: startedAt + the duration. */
  finishedAt: number;
  /**
   * The steady clock's time of the same moment (src/clock/steady.ts): what ages, expiry and the
   * history use, because it never steps when the wall clock does.
   */
  finishedSteadyMs: number;
  durationSeconds: number;
  /** The account's back-off on "frequent query" after this poll; absent when the poller has none (`--check`). */
  backoff?: BackoffState;
}

export type PollListener = (result: PollResult) => void;

export interface PollerOptions {
  client: BalanceClient;
  accounts: readonly Account[];
  concurrency: number;
  /** The wall clock: startedAt, finishedAt. */
  now?: () => number;
  /** The steady clock: finishedSteadyMs. */
  steadyNow?: () => number;
  onResult: PollListener;
  /** Back off an account ITNIO answers with -15 ("frequent query"); without it, every tick polls every account. */
  backoff?: BackoffOptions;
  /** Called if a listener throws; the poll loop itself carries on. */
  onListenerError?: (error: unknown) => void;
}

/**
 * Polls accounts through a shared queue: at most `concurrency` requests in flight, and an
 * account that is queued or still being polled is never queued a second time.
 */
export class Poller {
  private readonly client: BalanceClient;
  private readonly concurrency: number;
  private readonly now: () => number;
  private readonly steadyNow: () => number;
  private readonly onResult: PollListener;
  private readonly onListenerError: (error: unknown) => void;
  private accounts: readonly Account[];
  private readonly queue: Account[] = [];
  /** Accounts queued or in flight, by name, with the promise their poll settles. */
  private readonly pending = new Map<string, Promise<void>>();
  private readonly settle = new Map<string, () => void>();
  private readonly backoff: PollBackoff | undefined;
  private running = 0;
  private stopped = false;
  /** One controller per in-flight poll: stop() aborts them all, a reload those of removed accounts. */
  private readonly inFlight = new Map<string, { account: Account; controller: AbortController }>();

  constructor(options: PollerOptions) {
    this.client = options.client;
    this.accounts = options.accounts;
    this.concurrency = Math.max(1, options.concurrency);
    this.now = options.now ?? Date.now;
    this.steadyNow = options.steadyNow ?? steadyNow;
    this.onResult = options.onResult;
    this.onListenerError = options.onListenerError ?? (() => undefined);
    this.backoff = options.backoff ? new PollBackoff(options.backoff) : undefined;
  }

  /**
   * Replaces the account list. Queued polls of removed accounts are dropped and their in-flight
   * requests aborted (their credentials are no longer configured), as are in-flight requests of
   * accounts whose key, secret or base URL changed; queued polls of kept accounts use the new
   * entry.
   */
  setAccounts(accounts: readonly Account[]): void {
    const byName = new Map(accounts.map((a) => [a.name, a]));
    // An account that is now another ITNIO account starts without the old one's back-off.
    const replaced = this.accounts.filter(
      (a) => byName.has(a.name) && !sameItnioAccount(a, byName.get(a.name) as Account),
    );
    this.backoff?.keepOnly(new Set(byName.keys()), new Set(replaced.map((a) => a.name)));
    this.accounts = accounts;
    const kept: Account[] = [];
    for (const queued of this.queue.splice(0)) {
      const current = byName.get(queued.name);
      if (current) kept.push(current);
      else this.finish(queued.name);
    }
    this.queue.push(...kept);
    for (const [name, poll] of this.inFlight) {
      const current = byName.get(name);
      if (current && sameItnioAccount(current, poll.account)) continue;
      // Removed, or now another ITNIO account under the same name: its answer would mislead.
      poll.controller.abort();
      // Settled now, so an account added back (or changed) is polled again at once.
      this.finish(name);
    }
  }

  /** Whether any poll is queued or in flight. */
  get busy(): boolean {
    return this.running > 0 || this.queue.length > 0;
  }

  /**
   * Queues every configured account not already queued or in flight, except those backing off
   * whose next allowed poll is still ahead; resolves when they are done.
   */
  pollAll(): Promise<void> {
    const { backoff } = this;
    if (!backoff) return this.pollSome(this.accounts);
    const now = this.steadyNow();
    return this.pollSome(this.accounts.filter((a) => backoff.allows(a.name, now)));
  }

  /** Queues the given accounts (such as ones a reload added) like pollAll does. */
  pollSome(accounts: readonly Account[]): Promise<void> {
    if (this.stopped) return Promise.resolve();
    const waits = accounts.map((account) => this.enqueue(account));
    this.drain();
    return Promise.all(waits).then(() => undefined);
  }

  /** Aborts in-flight requests and drops the queue; later calls to pollAll do nothing. */
  stop(): void {
    this.stopped = true;
    for (const poll of this.inFlight.values()) poll.controller.abort();
    for (const account of this.queue.splice(0)) this.finish(account.name);
  }

  private enqueue(account: Account): Promise<void> {
    const existing = this.pending.get(account.name);
    if (existing) return existing;
    const done = new Promise<void>((resolve) => this.settle.set(account.name, resolve));
    this.pending.set(account.name, done);
    this.queue.push(account);
    return done;
  }

  private finish(name: string): void {
    this.pending.delete(name);
    const resolve = this.settle.get(name);
    this.settle.delete(name);
    resolve?.();
  }

  private drain(): void {
    while (this.running < this.concurrency && this.queue.length > 0) {
      const account = this.queue.shift() as Account;
      const waiting = this.pending.get(account.name);
      this.running++;
      void this.pollOne(account).finally(() => {
        this.running--;
        // Only this poll's own entry: setAccounts may have settled it and a new one begun.
        if (this.pending.get(account.name) === waiting) this.finish(account.name);
        this.drain();
      });
    }
  }

  private async pollOne(account: Account): Promise<void> {
    const startedAt = this.now();
    const startedSteadyMs = this.steadyNow();
    const started = process.hrtime.bigint();
    const controller = new AbortController();
    const poll = { account, controller };
    this.inFlight.set(account.name, poll);
    let outcome: BalanceOutcome;
    try {
      outcome = await this.client.fetchBalance(account, controller.signal);
    } catch (error) {
      // The client reports failures as outcomes; this guards the scheduler against a bug there.
      outcome = { kind: 'failure', reason: 'network', detail: error instanceof Error ? error.message : String(error) };
    } finally {
      if (this.inFlight.get(account.name) === poll) this.inFlight.delete(account.name);
    }
    const durationSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    try {
      const finishedAt = startedAt + durationSeconds * 1000;
      // A poll that outlived its account (or its credentials) leaves no back-off behind.
      const current = this.accounts.find((a) => a.name === account.name);
      const backoff =
        current && sameItnioAccount(current, account)
          ? this.backoff?.record(account.name, outcome, startedSteadyMs)
          : undefined;
      this.onResult({
        account,
        outcome,
        startedAt,
        finishedAt,
        finishedSteadyMs: this.steadyNow(),
        durationSeconds,
        ...(backoff ? { backoff } : {}),
      });
    } catch (error) {
      this.onListenerError(error);
    }
  }
}
