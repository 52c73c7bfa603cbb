import { Counter, Gauge, type Registry } from 'prom-client';
import type { AccountStore } from '../accounts/store';
import type { Account } from '../config/account';
import { FAILURE_REASONS, KNOWN_API_STATUSES } from '../itnio/failures';
import type { PollResult } from '../polling/poller';
import type { MetricsSource } from './exposition';

export interface CollectorOptions {
  registry: Registry;
  /** The one store of poll state: the collector subscribes to it and reads last-success times from it. */
  store: AccountStore;
  /** Series of balance values older than this are removed after failed polls. */
  maxAgeMs: number;
  version: string;
  /** The clock of the store's times (its steady clock), for expiring balance series. */
  now?: () => number;
}

/** Distinct undocumented status codes kept as labels per account; later ones count as "other". */
export const MAX_UNKNOWN_STATUSES = 20;

const CACHED = 'Cached from a background getBalance poll, not fetched at scrape time.';

type AccountGauge = Gauge<'account'>;

/**
 * Turns the poll results the account store records into Prometheus series on prom-client metrics. Scrapes only read what the
 * last polls left: nothing here talks to ITNIO. It tells the exposition which of its metrics
 * changed, so only those are formatted again.
 */
export class BalanceCollector implements MetricsSource {
  readonly registry: Registry;
  private readonly store: AccountStore;
  private readonly now: () => number;
  private readonly maxAgeMs: number;
  /** Accounts whose balance series are exported now; their age is the store's lastSuccessMs. */
  private readonly exportedBalances = new Set<string>();
  private knownAccounts = new Set<string>();
  /** Status codes each account has seen, so an account's series can all be removed. */
  private readonly seenStatuses = new Map<string, Set<string>>();
  private readonly up: AccountGauge;
  private readonly balance: AccountGauge;
  private readonly gift: AccountGauge;
  private readonly credit: AccountGauge;
  private readonly apiErrors: Counter<'account' | 'status'>;
  private readonly requestFailures: Counter<'account' | 'reason'>;
  private readonly requests: Counter<'account'>;
  private readonly pollDuration: AccountGauge;
  private readonly lastSuccess: AccountGauge;
  private readonly threshold: AccountGauge;
  private readonly backoff: AccountGauge;
  /** What the back-off gauge shows per account, so it is re-rendered only when that changes. */
  private readonly backoffSeconds = new Map<string, number>();
  /** Changes per metric name, so the exposition re-renders only the metrics that moved. */
  private readonly metricChanges = new Map<string, number>();
  private changes = 0;
  private readonly listeners: (() => void)[] = [];

  constructor(options: CollectorOptions) {
    const registers = [options.registry];
    this.registry = options.registry;
    this.store = options.store;
    this.now = options.now ?? Date.now;
    this.maxAgeMs = options.maxAgeMs;
    const gauge = (name: string, help: string): AccountGauge =>
      new Gauge({ name, help, labelNames: ['account'], registers });
    this.up = gauge('itniotech_up', `1 if the last getBalance poll of the account succeeded, 0 if not. ${CACHED}`);
    this.balance = gauge('itniotech_balance', `Paid account balance from the last successful poll. ${CACHED}`);
    this.gift = gauge('itniotech_gift_balance', `Gift (bonus) balance from the last successful poll. ${CACHED}`);
    this.credit = gauge('itniotech_credit_limit', `Credit line from the last successful poll. ${CACHED}`);
    this.apiErrors = new Counter({
      name: 'itniotech_api_errors_total',
      help: `getBalance answers with a non-zero status, by status code. ${CACHED}`,
      labelNames: ['account', 'status'],
      registers,
    });
    this.requestFailures = new Counter({
      name: 'itniotech_request_failures_total',
      help: `getBalance polls that got no usable answer, by reason. ${CACHED}`,
      labelNames: ['account', 'reason'],
      registers,
    });
    this.requests = new Counter({
      name: 'itniotech_requests_total',
      help: `getBalance requests sent to the ITNIO API. ${CACHED}`,
      labelNames: ['account'],
      registers,
    });
    this.pollDuration = gauge('itniotech_poll_duration_seconds', `Duration of the last getBalance poll. ${CACHED}`);
    this.lastSuccess = gauge(
      'itniotech_last_success_timestamp_seconds',
      `Unix time of the last successful getBalance poll. ${CACHED}`,
    );
    this.threshold = gauge('itniotech_balance_low_threshold', 'Configured low-balance threshold of the account.');
    this.backoff = gauge(
      'itniotech_poll_backoff_seconds',
      'Widened poll interval of the account after consecutive -15 (frequent query) answers; 0 at the normal pace.',
    );
    const buildInfo = new Gauge({
      name: 'itniotech_exporter_build_info',
      help: 'Always 1; labels give the exporter version and the Node.js version running it.',
      labelNames: ['version', 'nodejs_version'],
      registers,
    });
    buildInfo.set({ version: options.version, nodejs_version: process.version }, 1);
    for (const metric of [
      this.up,
      this.balance,
      this.gift,
      this.credit,
      this.apiErrors,
      this.requestFailures,
      this.requests,
      this.pollDuration,
      this.lastSuccess,
      this.threshold,
      this.backoff,
      buildInfo,
    ]) {
      this.metricChanges.set(metricName(metric), 0);
    }
    this.setAccounts(options.store.configured());
    options.store.subscribe({
      onResult: (result) => this.record(result),
      onAccounts: (accounts, { replaced }) => {
        // A replaced account's series go and come back empty: they described another ITNIO account.
        if (replaced.length > 0) this.setAccounts(accounts.filter((a) => !replaced.includes(a)));
        this.setAccounts(accounts);
      },
    });
  }

  /** Grows with every change to the collector's series. */
  changeCount(): number {
    return this.changes;
  }

  /** How often the named metric changed; undefined for a metric this collector does not own. */
  metricChangeCount(name: string): number | undefined {
    return this.metricChanges.get(name);
  }

  /** Calls `listener` after every change to the collector's series. */
  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  /**
   * Declares the configured accounts: zero-valued error counters and thresholds for new ones;
   * every series of an account no longer configured is removed. Counters of kept accounts stay.
   */
  private setAccounts(accounts: readonly Account[]): void {
    const names = new Set(accounts.map((a) => a.name));
    for (const name of this.knownAccounts) {
      if (!names.has(name)) this.removeAccount(name);
    }
    for (const account of accounts) {
      const labels = { account: account.name };
      this.requests.inc(labels, 0);
      for (const status of KNOWN_API_STATUSES) this.apiErrors.inc({ ...labels, status }, 0);
      for (const reason of FAILURE_REASONS) this.requestFailures.inc({ ...labels, reason }, 0);
      // A kept account keeps its back-off across a reload.
      if (!this.knownAccounts.has(account.name)) {
        this.backoff.set(labels, 0);
        this.backoffSeconds.delete(account.name);
      }
      if (account.lowBalanceThreshold === undefined) this.threshold.remove(labels);
      else this.threshold.set(labels, account.lowBalanceThreshold);
    }
    this.knownAccounts = names;
    this.changed(this.requests, this.apiErrors, this.requestFailures, this.threshold, this.backoff);
  }

  /** Called by the store (subscribed in the constructor) after it recorded the result. */
  private record(result: PollResult): void {
    const { account, outcome } = result;
    // A poll that outlived its account (removed by a reload) must not bring its series back.
    if (outcome.kind === 'aborted' || !this.knownAccounts.has(account.name)) return;
    const labels = { account: account.name };
    this.requests.inc(labels);
    this.pollDuration.set(labels, result.durationSeconds);
    // Changed together with the poll's other metrics, so listeners hear of one change.
    const also: AccountGauge[] = [];
    if (result.backoff && result.backoff.seconds !== (this.backoffSeconds.get(account.name) ?? 0)) {
      this.backoff.set(labels, result.backoff.seconds);
      this.backoffSeconds.set(account.name, result.backoff.seconds);
      also.push(this.backoff);
    }
    switch (outcome.kind) {
      case 'success': {
        const { finishedAt } = result;
        this.up.set(labels, 1);
        this.balance.set(labels, outcome.balance);
        this.gift.set(labels, outcome.gift);
        this.credit.set(labels, outcome.credit);
        this.lastSuccess.set(labels, finishedAt / 1000);
        this.exportedBalances.add(account.name);
        this.changed(
          this.requests,
          this.pollDuration,
          this.up,
          this.balance,
          this.gift,
          this.credit,
          this.lastSuccess,
          ...also,
        );
        break;
      }
      case 'api_error':
        this.up.set(labels, 0);
        this.apiErrors.inc({ ...labels, status: this.statusLabel(account.name, outcome.status) });
        this.changed(this.requests, this.pollDuration, this.up, this.apiErrors, ...also);
        break;
      case 'failure':
        this.up.set(labels, 0);
        this.requestFailures.inc({ ...labels, reason: outcome.reason });
        this.changed(this.requests, this.pollDuration, this.up, this.requestFailures, ...also);
        break;
    }
    this.expireStale();
  }

  /**
   * Removes balance series whose last successful poll is older than the maximum age, so a
   * long outage shows as missing data rather than as a stale but plausible balance.
   */
  expireStale(): void {
    const now = this.now();
    let expired = false;
    for (const name of this.exportedBalances) {
      const atMs = this.store.get(name)?.lastSuccessMs;
      if (atMs !== undefined && now - atMs <= this.maxAgeMs) continue;
      this.removeBalances(name);
      expired = true;
    }
    if (expired) this.changed(this.balance, this.gift, this.credit);
  }

  /**
   * Runs expireStale on a timer as well, so balances go after --poll.max-age even when polls are
   * rare or stuck: every quarter of the maximum age, between once a second and once a minute.
   * Returns the function that stops it.
   */
  startExpirySweep(): () => void {
    const timer = setInterval(() => this.expireStale(), Math.max(1000, Math.min(this.maxAgeMs / 4, 60_000)));
    timer.unref();
    return () => clearInterval(timer);
  }

  private removeBalances(name: string): void {
    const labels = { account: name };
    this.balance.remove(labels);
    this.gift.remove(labels);
    this.credit.remove(labels);
    this.exportedBalances.delete(name);
  }

  private removeAccount(name: string): void {
    const labels = { account: name };
    this.removeBalances(name);
    for (const metric of [this.up, this.requests, this.pollDuration, this.lastSuccess, this.threshold, this.backoff])
      metric.remove(labels);
    const statuses = new Set<string>([...KNOWN_API_STATUSES, ...(this.seenStatuses.get(name) ?? []), 'other']);
    for (const status of statuses) this.apiErrors.remove({ ...labels, status });
    for (const reason of FAILURE_REASONS) this.requestFailures.remove({ ...labels, reason });
    this.seenStatuses.delete(name);
    this.backoffSeconds.delete(name);
    this.changed(
      this.up,
      this.balance,
      this.gift,
      this.credit,
      this.requests,
      this.pollDuration,
      this.lastSuccess,
      this.threshold,
      this.backoff,
      this.apiErrors,
      this.requestFailures,
    );
  }

  /** The status label to count under; a misbehaving upstream cannot grow it without bound. */
  private statusLabel(name: string, status: string): string {
    if ((KNOWN_API_STATUSES as readonly string[]).includes(status)) return status;
    let statuses = this.seenStatuses.get(name);
    if (!statuses) this.seenStatuses.set(name, (statuses = new Set()));
    if (statuses.has(status)) return status;
    if (statuses.size >= MAX_UNKNOWN_STATUSES) return 'other';
    statuses.add(status);
    return status;
  }

  private changed(...metrics: (Gauge<string> | Counter<string>)[]): void {
    for (const metric of metrics) {
      const name = metricName(metric);
      this.metricChanges.set(name, (this.metricChanges.get(name) ?? 0) + 1);
    }
    this.changes++;
    for (const listener of this.listeners) listener();
  }
}

/** prom-client sets `name` on every metric; its type declarations do not list it. */
function metricName(metric: Gauge<string> | Counter<string>): string {
  return (metric as unknown as { name: string }).name;
}
