import { steadyNow } from '../clock/steady';
import type { Account } from '../config/account';
import type { BalanceOutcome } from '../itnio/client';
import type { BackoffState } from './backoff';
import { apiHost, HostQueues } from './host-queues';
import type { PollKind, PollOutcome, PollTarget } from './kind';

/** One finished poll of one account, as every consumer (store, metrics, logs) sees it. */
export interface PollResult<O extends PollOutcome = BalanceOutcome> {
  /** The kind of poll (`balance` for getBalance); absent means `balance`. */
  kind?: string;
  /** The store's entry the poll was sent for (the store records nothing without it); a reload that removed or replaced it makes the result stale. */
  target?: PollTarget;
  /** The configuration the request was sent with. */
  account: Account;
  outcome: O;
  /** Unix milliseconds when the request was sent. */
  startedAt: number;
  /** The steady clock's time of the same moment; the back-off counts from it. */
  startedSteadyMs?: number;
  /** Unix milliseconds when the answer (or the failure) arrived: startedAt + the duration. */
  finishedAt: number;
  /**
   * The steady clock's time of the same moment (src/clock/steady.ts): what ages, expiry and the
   * history use, because it never steps when the wall clock does.
   */
  finishedSteadyMs: number;
  durationSeconds: number;
  /** The account's back-off on "frequent query" after this poll, set by the store that recorded it. */
  backoff?: BackoffState;
}

export type PollListener = (result: PollResult<PollOutcome>) => void;

export interface PollerOptions {
  /** Every kind of poll this poller sends, by name; they share its concurrency limit. */
  kinds: readonly PollKind[];
  concurrency: number;
  /** The wall clock: startedAt, finishedAt. */
  now?: () => number;
  /** The steady clock: startedSteadyMs, finishedSteadyMs. */
  steadyNow?: () => number;
  onResult: PollListener;
  /** Called if a listener throws; the poll loop itself carries on. */
  onListenerError?: (error: unknown) => void;
}

interface Job {
  kind: PollKind;
  target: PollTarget;
  done: Promise<void>;
  settle: () => void;
  controller?: AbortController;
  /** Stops listening to the target's signals. */
  unlisten: Array<() => void>;
}

/**
 * Polls through one shared queue for every kind: at most `concurrency` requests in flight, shared
 * fairly between API hosts (src/polling/host-queues.ts), and a target that is queued or still
 * being polled for a kind is never queued a second time for it. It keeps no account set of its
 * own: callers pass the store's entries, whose signals (set by the store on a reload) drop their
 * queued polls when the entry is removed and abort those in flight when the credentials they
 * were sent with are no longer the account's, so no one has to tell the poller.
 */
export class Poller {
  private readonly kinds: ReadonlyMap<string, PollKind>;
  private readonly concurrency: number;
  private readonly now: () => number;
  private readonly steadyNow: () => number;
  private readonly onResult: PollListener;
  private readonly onListenerError: (error: unknown) => void;
  private readonly queue = new HostQueues<Job>();
  /** Jobs queued or in flight, per target and kind; weak, so an entry the store dropped goes with them. */
  private readonly pending = new WeakMap<PollTarget, Map<PollKind, Job>>();
  /** Jobs whose request is out, for stop(). */
  private readonly inFlight = new Set<Job>();
  private running = 0;
  private stopped = false;

  constructor(options: PollerOptions) {
    this.kinds = new Map(options.kinds.map((k) => [k.name, k]));
    if (this.kinds.size !== options.kinds.length) throw new Error('Poller: two kinds of poll share a name');
    this.concurrency = Math.max(1, options.concurrency);
    this.now = options.now ?? Date.now;
    this.steadyNow = options.steadyNow ?? steadyNow;
    this.onResult = options.onResult;
    this.onListenerError = options.onListenerError ?? (() => undefined);
  }

  /** Whether any poll is queued or in flight. */
  get busy(): boolean {
    return this.running > 0 || this.queue.size > 0;
  }

  /** Queues a poll of the named kind for each target not already queued or in flight for it; resolves when they are done. */
  poll(kindName: string, targets: readonly PollTarget[]): Promise<void> {
    const kind = this.kinds.get(kindName);
    if (!kind) throw new Error(`Poller: no kind of poll named "${kindName}"`);
    if (this.stopped) return Promise.resolve();
    const waits = targets.map((target) => this.enqueue(kind, target));
    this.drain();
    return Promise.all(waits).then(() => undefined);
  }

  /** Aborts in-flight requests and drops the queue; later calls to poll do nothing. */
  stop(): void {
    this.stopped = true;
    for (const job of this.inFlight) job.controller?.abort();
    for (const job of this.queue.remove()) this.finish(job);
  }

  private enqueue(kind: PollKind, target: PollTarget): Promise<void> {
    if (target.removed?.aborted) return Promise.resolve();
    let jobs = this.pending.get(target);
    if (!jobs) this.pending.set(target, (jobs = new Map()));
    const existing = jobs.get(kind);
    if (existing) return existing.done;
    let settle: () => void = () => undefined;
    const done = new Promise<void>((resolve) => (settle = resolve));
    const job: Job = { kind, target, done, settle, unlisten: [] };
    jobs.set(kind, job);
    this.listen(job, target.removed);
    this.queue.push(apiHost(target.account.baseUrl), job);
    return done;
  }

  /** Calls drop(job) once `signal` aborts, until the job is finished. */
  private listen(job: Job, signal: AbortSignal | undefined): void {
    if (!signal) return;
    const onAbort = (): void => this.drop(job);
    signal.addEventListener('abort', onAbort, { once: true });
    job.unlisten.push(() => signal.removeEventListener('abort', onAbort));
  }

  /**
   * The store dropped the job's entry, or the credentials its request went out with: a queued
   * job leaves the queue, an in-flight one is aborted; either is settled at once, so an account
   * added back (or re-signed) is polled again at once.
   */
  private drop(job: Job): void {
    if (job.controller) job.controller.abort();
    else this.queue.remove((queued) => queued !== job);
    this.finish(job);
  }

  /** Settles a job; only its own entry, as a reload may have settled it and a new one begun. */
  private finish(job: Job): void {
    const jobs = this.pending.get(job.target);
    if (jobs?.get(job.kind) === job) jobs.delete(job.kind);
    for (const unlisten of job.unlisten.splice(0)) unlisten();
    job.settle();
  }

  private drain(): void {
    while (this.running < this.concurrency) {
      const next = this.queue.start(this.concurrency);
      if (!next) return;
      this.running++;
      this.inFlight.add(next.job);
      void this.pollOne(next.job).finally(() => {
        this.running--;
        this.inFlight.delete(next.job);
        this.queue.ended(next.host);
        this.finish(next.job);
        this.drain();
      });
    }
  }

  private async pollOne(job: Job): Promise<void> {
    const { kind, target } = job;
    // The entry's configuration at the moment the request goes out.
    const account = target.account;
    const startedAt = this.now();
    const startedSteadyMs = this.steadyNow();
    const started = process.hrtime.bigint();
    const controller = new AbortController();
    job.controller = controller;
    // A request signed with credentials the store has since revoked (a rotated secret) is aborted.
    this.listen(job, target.credentials);
    let outcome: PollOutcome;
    try {
      outcome = await kind.poll(account, controller.signal);
    } catch (error) {
      // Kinds report failures as outcomes; this guards the poll loop against a bug in one.
      const detail = error instanceof Error ? error.message : String(error);
      outcome = { kind: 'failure', reason: 'network', detail } as PollOutcome;
    }
    const durationSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    try {
      this.onResult({
        kind: kind.name,
        target,
        account,
        outcome,
        startedAt,
        startedSteadyMs,
        finishedAt: startedAt + durationSeconds * 1000,
        finishedSteadyMs: this.steadyNow(),
        durationSeconds,
      });
    } catch (error) {
      this.onListenerError(error);
    }
  }
}
