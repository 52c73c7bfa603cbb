import type { Registry } from 'prom-client';
import type { Account } from '../config/account';
import { MetricFamily, renderFamilies } from './metric-family';
import { FAILURE_REASONS, KNOWN_API_STATUSES } from '../itnio/failures';
import { pollFinishedAt, type PollResult } from '../polling/poller';

export interface CollectorOptions {
  registry: Registry;
  accounts: readonly Account[];
  /** Series of balance values older than this are removed after failed polls. */
  maxAgeMs: number;
  version: string;
  now?: () => number;
}

/** Distinct undocumented status codes kept as labels per account; later ones count as "other". */
export const MAX_UNKNOWN_STATUSES = 20;

interface LastGood {
  atMs: number;
}

/**
 * Turns poll results into Prometheus series. Scrapes only read what the last polls left:
 * nothing here talks to ITNIO.
 */
export class BalanceCollector {
  private readonly now: () => number;
  private readonly maxAgeMs: number;
  private readonly lastGood = new Map<string, LastGood>();
  private knownAccounts = new Set<string>();
  /** Status codes each account has seen, so an account's series can all be removed. */
  private readonly seenStatuses = new Map<string, Set<string>>();
  private readonly up: MetricFamily<'account'>;
  private readonly balance: MetricFamily<'account'>;
  private readonly gift: MetricFamily<'account'>;
  private readonly credit: MetricFamily<'account'>;
  private readonly apiErrors: MetricFamily<'account' | 'status'>;
  private readonly requestFailures: MetricFamily<'account' | 'reason'>;
  private readonly requests: MetricFamily<'account'>;
  private readonly pollDuration: MetricFamily<'account'>;
  private readonly lastSuccess: MetricFamily<'account'>;
  private readonly threshold: MetricFamily<'account'>;
  /** Every family, in registration order. */
  private readonly families: readonly MetricFamily<string>[];
  /** Bumped on every change, so a renderer can tell when its cached text is stale. */
  private generation = 0;

  constructor(options: CollectorOptions) {
    const registers = [options.registry];
    const cached = 'Cached from a background getBalance poll, not fetched at scrape time.';
    this.now = options.now ?? Date.now;
    this.maxAgeMs = options.maxAgeMs;
    this.up = new MetricFamily({
      type: 'gauge',
      name: 'itniotech_up',
      help: `1 if the last getBalance poll of the account succeeded, 0 if not. ${cached}`,
      labelNames: ['account'],
      registers,
    });
    this.balance = new MetricFamily({
      type: 'gauge',
      name: 'itniotech_balance',
      help: `Paid account balance from the last successful poll. ${cached}`,
      labelNames: ['account'],
      registers,
    });
    this.gift = new MetricFamily({
      type: 'gauge',
      name: 'itniotech_gift_balance',
      help: `Gift (bonus) balance from the last successful poll. ${cached}`,
      labelNames: ['account'],
      registers,
    });
    this.credit = new MetricFamily({
      type: 'gauge',
      name: 'itniotech_credit_limit',
      help: `Credit line from the last successful poll. ${cached}`,
      labelNames: ['account'],
      registers,
    });
    this.apiErrors = new MetricFamily({
      type: 'counter',
      name: 'itniotech_api_errors_total',
      help: `getBalance answers with a non-zero status, by status code. ${cached}`,
      labelNames: ['account', 'status'],
      registers,
    });
    this.requestFailures = new MetricFamily({
      type: 'counter',
      name: 'itniotech_request_failures_total',
      help: `getBalance polls that got no usable answer, by reason. ${cached}`,
      labelNames: ['account', 'reason'],
      registers,
    });
    this.requests = new MetricFamily({
      type: 'counter',
      name: 'itniotech_requests_total',
      help: `getBalance requests sent to the ITNIO API. ${cached}`,
      labelNames: ['account'],
      registers,
    });
    this.pollDuration = new MetricFamily({
      type: 'gauge',
      name: 'itniotech_poll_duration_seconds',
      help: `Duration of the last getBalance poll. ${cached}`,
      labelNames: ['account'],
      registers,
    });
    this.lastSuccess = new MetricFamily({
      type: 'gauge',
      name: 'itniotech_last_success_timestamp_seconds',
      help: `Unix time of the last successful getBalance poll. ${cached}`,
      labelNames: ['account'],
      registers,
    });
    this.threshold = new MetricFamily({
      type: 'gauge',
      name: 'itniotech_balance_low_threshold',
      help: 'Configured low-balance threshold of the account.',
      labelNames: ['account'],
      registers,
    });
    const buildInfo = new MetricFamily({
      type: 'gauge',
      name: 'itniotech_exporter_build_info',
      help: 'Always 1; labels give the exporter version and the Node.js version running it.',
      labelNames: ['version', 'nodejs_version'],
      registers,
    });
    buildInfo.set({ version: options.version, nodejs_version: process.version }, 1);
    this.families = [this.up, this.balance, this.gift, this.credit, this.apiErrors, this.requestFailures, this.requests, this.pollDuration, this.lastSuccess, this.threshold, buildInfo];
    this.setAccounts(options.accounts);
  }

  get changeCount(): number {
    return this.generation;
  }

  /** The exporter's series in the text format 0.0.4: what `registry.metrics()` prints, without its per-call formatting cost. */
  render(): string {
    return renderFamilies(this.families);
  }

  /**
   * Declares the configured accounts: zero-valued error counters and thresholds for new ones;
   * every series of an account no longer configured is removed. Counters of kept accounts stay.
   */
  setAccounts(accounts: readonly Account[]): void {
    const names = new Set(accounts.map((a) => a.name));
    for (const name of this.knownAccounts) {
      if (!names.has(name)) this.removeAccount(name);
    }
    for (const account of accounts) {
      const labels = { account: account.name };
      this.requests.inc(labels, 0);
      for (const status of KNOWN_API_STATUSES) this.apiErrors.inc({ ...labels, status }, 0);
      for (const reason of FAILURE_REASONS) this.requestFailures.inc({ ...labels, reason }, 0);
      if (account.lowBalanceThreshold === undefined) this.threshold.remove(labels);
      else this.threshold.set(labels, account.lowBalanceThreshold);
    }
    this.knownAccounts = names;
    this.generation++;
  }

  record(result: PollResult): void {
    const { account, outcome } = result;
    // A poll that outlived its account (removed by a reload) must not bring its series back.
    if (outcome.kind === 'aborted' || !this.knownAccounts.has(account.name)) return;
    const labels = { account: account.name };
    this.requests.inc(labels);
    this.pollDuration.set(labels, result.durationSeconds);
    switch (outcome.kind) {
      case 'success': {
        const finishedAt = pollFinishedAt(result);
        this.up.set(labels, 1);
        this.balance.set(labels, outcome.balance);
        this.gift.set(labels, outcome.gift);
        this.credit.set(labels, outcome.credit);
        this.lastSuccess.set(labels, finishedAt / 1000);
        this.lastGood.set(account.name, { atMs: finishedAt });
        break;
      }
      case 'api_error': {
        this.up.set(labels, 0);
        const status = this.statusLabel(account.name, outcome.status);
        this.apiErrors.inc({ ...labels, status });
        break;
      }
      case 'failure':
        this.up.set(labels, 0);
        this.requestFailures.inc({ ...labels, reason: outcome.reason });
        break;
    }
    this.expireStale();
    this.generation++;
  }

  /**
   * Removes balance series whose last successful poll is older than the maximum age, so a
   * long outage shows as missing data rather than as a stale but plausible balance.
   */
  expireStale(): void {
    const now = this.now();
    for (const [name, good] of this.lastGood) {
      if (now - good.atMs <= this.maxAgeMs) continue;
      const labels = { account: name };
      this.balance.remove(labels);
      this.gift.remove(labels);
      this.credit.remove(labels);
      this.lastGood.delete(name);
      this.generation++;
    }
  }

  private removeAccount(name: string): void {
    const labels = { account: name };
    for (const metric of [this.up, this.balance, this.gift, this.credit, this.requests, this.pollDuration, this.lastSuccess, this.threshold]) {
      metric.remove(labels);
    }
    const statuses = new Set<string>([...KNOWN_API_STATUSES, ...(this.seenStatuses.get(name) ?? []), 'other']);
    for (const status of statuses) this.apiErrors.remove({ ...labels, status });
    for (const reason of FAILURE_REASONS) this.requestFailures.remove({ ...labels, reason });
    this.lastGood.delete(name);
    this.seenStatuses.delete(name);
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
}
