import { Gauge, type Registry } from 'prom-client';
import type { AccountStore, AccountView, StoreChangeCounts } from '../store/account-store';
import { FAILURE_REASONS, KNOWN_API_STATUSES } from '../itnio/failures';
import type { MetricsSource } from './exposition';
import { PinnedStoreReader, storeCounter, storeGauge, type Sample } from './store-metric';

export { MAX_UNKNOWN_STATUSES } from '../store/account-store';

export interface CollectorOptions {
  registry: Registry;
  /** The one store of per-account state: every series here is computed from it when read. */
  store: AccountStore;
  /** Balance series whose last success is older than this are left out. */
  maxAgeMs: number;
  version: string;
  /** The clock of the store's times (its steady clock), for leaving out stale balance series. */
  now?: () => number;
  /** A metric whose computation failed (it is left empty for that scrape). */
  onError?: (metric: string, error: unknown) => void;
}

const CACHED = 'Cached from a background getBalance poll, not fetched at scrape time.';

type Samples = Iterable<Sample<'account'>>;
type Version = (counts: Readonly<StoreChangeCounts>) => number;

/** One per-account gauge: its name, HELP, series and what in the store its text depends on. */
interface AccountGaugeSpec {
  name: string;
  help: string;
  samples(accounts: readonly AccountView[], now: number): Samples;
  version: Version;
}

const perPoll: Version = (c) => c.accounts + c.polls;
const perSuccess: Version = (c) => c.accounts + c.successes;
const perError: Version = (c) => c.accounts + c.errors;

function* each(accounts: readonly AccountView[], value: (a: AccountView) => number | undefined): Samples {
  for (const a of accounts) {
    const v = value(a);
    if (v !== undefined) yield [{ account: a.account.name }, v];
  }
}

/**
 * The `itniotech_*` series, derived from the account store whenever they are read
 * (kube-state-metrics' way: generated from the objects the store holds, never a second copy).
 * Scrapes only read what the last polls left: nothing here talks to ITNIO. It tells the
 * exposition which of its metrics can have changed, so only those are formatted again.
 */
export class BalanceCollector implements MetricsSource {
  readonly registry: Registry;
  private readonly store: AccountStore;
  /** What the collector's metrics read, pinned during a rebuild; other store-derived metrics read it too. */
  readonly reader: PinnedStoreReader;
  private readonly maxAgeMs: number;
  private readonly versions = new Map<string, Version>();
  /** Bumped when a balance series goes stale, the one change that comes from time, not the store. */
  private expiries = 0;
  /** When expireStale last looked: a balance whose max age ran out since then went stale. */
  private sweptAt: number;
  private readonly listeners: (() => void)[] = [];

  constructor(options: CollectorOptions) {
    this.registry = options.registry;
    this.store = options.store;
    this.maxAgeMs = options.maxAgeMs;
    this.reader = new PinnedStoreReader(options.store, options.now ?? Date.now);
    for (const spec of this.accountGauges()) this.gauge(spec, options.onError);
    this.counters(options.onError);
    this.later(options.onError);
    const buildInfo = new Gauge({
      name: 'itniotech_exporter_build_info',
      help: 'Always 1; labels give the exporter version and the Node.js version running it.',
      labelNames: ['version', 'nodejs_version'],
      registers: [options.registry],
    });
    buildInfo.set({ version: options.version, nodejs_version: process.version }, 1);
    this.versions.set('itniotech_exporter_build_info', () => 0);
    this.sweptAt = this.reader.now();
    options.store.subscribe({ onChange: () => this.changed() });
  }

  /** Grows with every change to the collector's series (the store's, and balances going stale). */
  changeCount(): number {
    return this.store.changeCount + this.expiries;
  }

  /** A number that moves whenever the named metric can have changed; undefined for a metric this collector does not own. */
  metricChangeCount(name: string): number | undefined {
    const version = this.versions.get(name);
    return version?.(this.store.changeCounts());
  }

  /** Calls `listener` after every change to the collector's series. */
  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** Every metric read until `unpin` sees the store as it is now: a rebuild never shows half a poll result. */
  pin(): void {
    this.reader.pin();
  }

  unpin(): void {
    this.reader.unpin();
  }

  /**
   * Tells listeners when a balance series went stale (its last success older than the maximum
   * age), so a long outage shows as missing data rather than as a stale but plausible balance.
   */
  expireStale(): void {
    const now = this.reader.now();
    const since = this.sweptAt;
    this.sweptAt = now;
    const expired = this.store.snapshot().some((a) => {
      const atMs = a.status.values === undefined ? undefined : a.status.lastSuccessMs;
      return atMs !== undefined && atMs + this.maxAgeMs >= since && atMs + this.maxAgeMs < now;
    });
    if (!expired) return;
    this.expiries++;
    for (const listener of this.listeners) listener();
  }

  /**
   * Runs expireStale on a timer, so balances go after --poll.max-age even when polls are rare or
   * stuck: every quarter of the maximum age, between once a second and once a minute. Returns
   * the function that stops it.
   */
  startExpirySweep(): () => void {
    const timer = setInterval(() => this.expireStale(), Math.max(1000, Math.min(this.maxAgeMs / 4, 60_000)));
    timer.unref();
    return () => clearInterval(timer);
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }

  private isFresh(a: AccountView, now: number): boolean {
    const atMs = a.status.lastSuccessMs;
    return a.status.values !== undefined && atMs !== undefined && now - atMs <= this.maxAgeMs;
  }

  private gauge(spec: AccountGaugeSpec, onError?: (metric: string, error: unknown) => void): void {
    const { name, help, samples } = spec;
    storeGauge({
      registry: this.registry,
      reader: this.reader,
      name,
      help,
      labelNames: ['account'],
      samples,
      ...(onError ? { onError } : {}),
    });
    this.versions.set(name, spec.version);
  }

  private balanceGauge(
    name: string,
    help: string,
    value: (v: NonNullable<AccountView['status']['values']>) => number,
  ): AccountGaugeSpec {
    return {
      name,
      help,
      version: (c) => perSuccess(c) + this.expiries,
      samples: (accounts, now) =>
        each(accounts, (a) => (this.isFresh(a, now) && a.status.values ? value(a.status.values) : undefined)),
    };
  }

  /** The gauges before the counters, in the order the exposition has always had. */
  private accountGauges(): AccountGaugeSpec[] {
    return [
      {
        name: 'itniotech_up',
        help: `1 if the last getBalance poll of the account succeeded, 0 if not. ${CACHED}`,
        version: perPoll,
        samples: (accounts) =>
          each(accounts, (a) => (a.status.lastOk === undefined ? undefined : a.status.lastOk ? 1 : 0)),
      },
      this.balanceGauge(
        'itniotech_balance',
        `Paid account balance from the last successful poll. ${CACHED}`,
        (v) => v.balance,
      ),
      this.balanceGauge(
        'itniotech_gift_balance',
        `Gift (bonus) balance from the last successful poll. ${CACHED}`,
        (v) => v.gift,
      ),
      this.balanceGauge(
        'itniotech_credit_limit',
        `Credit line from the last successful poll. ${CACHED}`,
        (v) => v.credit,
      ),
    ];
  }

  private counters(onError?: (metric: string, error: unknown) => void): void {
    const common = { registry: this.registry, reader: this.reader, ...(onError ? { onError } : {}) };
    storeCounter({
      ...common,
      name: 'itniotech_api_errors_total',
      help: `getBalance answers with a non-zero status, by status code. ${CACHED}`,
      labelNames: ['account', 'status'],
      samples: apiErrorSamples,
    });
    storeCounter({
      ...common,
      name: 'itniotech_request_failures_total',
      help: `getBalance polls that got no usable answer, by reason. ${CACHED}`,
      labelNames: ['account', 'reason'],
      samples: failureSamples,
    });
    storeCounter({
      ...common,
      name: 'itniotech_requests_total',
      help: `getBalance requests sent to the ITNIO API. ${CACHED}`,
      labelNames: ['account'],
      samples: (accounts) => each(accounts, (a) => a.counts.requests),
    });
    this.versions.set('itniotech_api_errors_total', perError);
    this.versions.set('itniotech_request_failures_total', perError);
    this.versions.set('itniotech_requests_total', perPoll);
  }

  /** The gauges after the counters. */
  private later(onError?: (metric: string, error: unknown) => void): void {
    const specs: AccountGaugeSpec[] = [
      {
        name: 'itniotech_poll_duration_seconds',
        help: `Duration of the last getBalance poll. ${CACHED}`,
        version: perPoll,
        samples: (accounts) => each(accounts, (a) => a.counts.lastDurationSeconds),
      },
      {
        name: 'itniotech_last_success_timestamp_seconds',
        help: `Unix time of the last successful getBalance poll. ${CACHED}`,
        version: perSuccess,
        samples: (accounts) =>
          each(accounts, (a) => (a.counts.lastSuccessAt === undefined ? undefined : a.counts.lastSuccessAt / 1000)),
      },
      {
        name: 'itniotech_balance_low_threshold',
        help: 'Configured low-balance threshold of the account.',
        version: (c) => c.accounts,
        samples: (accounts) => each(accounts, (a) => a.account.lowBalanceThreshold),
      },
      {
        name: 'itniotech_poll_backoff_seconds',
        help: 'Widened poll interval of the account after consecutive -15 (frequent query) answers; 0 at the normal pace.',
        version: (c) => c.accounts + c.backoffs,
        samples: (accounts) => each(accounts, (a) => a.status.backoff?.seconds ?? 0),
      },
    ];
    for (const spec of specs) this.gauge(spec, onError);
  }
}

function* apiErrorSamples(accounts: readonly AccountView[]): Iterable<Sample<'account' | 'status'>> {
  for (const a of accounts) {
    const account = a.account.name;
    const { apiErrors } = a.counts;
    for (const status of KNOWN_API_STATUSES) yield [{ account, status }, apiErrors.get(status) ?? 0];
    for (const [status, count] of apiErrors)
      if (!(KNOWN_API_STATUSES as readonly string[]).includes(status)) yield [{ account, status }, count];
  }
}

function* failureSamples(accounts: readonly AccountView[]): Iterable<Sample<'account' | 'reason'>> {
  for (const a of accounts) {
    const account = a.account.name;
    for (const reason of FAILURE_REASONS) yield [{ account, reason }, a.counts.failures.get(reason) ?? 0];
  }
}
