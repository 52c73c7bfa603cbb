import { Counter, Gauge, type Registry } from 'prom-client';
import type { AccountStore, AccountView } from '../store/account-store';

/** One series: its label values and its value. */
export type Sample<L extends string> = readonly [labels: Partial<Record<L, string | number>>, value: number];

/** The accounts a derived metric reads: a rebuild pins them, so a text never shows half of a change. */
export interface StoreReader {
  /** The accounts as pinned for the rebuild running now, or as they are now. */
  accounts(): readonly AccountView[];
  /** The time the metrics are computed at (the store's steady clock), pinned with the accounts. */
  now(): number;
}

/** Reads the store's snapshot, or the one pinned while a rebuild of the exposition runs. */
export class PinnedStoreReader implements StoreReader {
  private pinned: { accounts: readonly AccountView[]; now: number } | undefined;

  constructor(
    private readonly store: AccountStore,
    private readonly clock: () => number,
  ) {}

  accounts(): readonly AccountView[] {
    return this.pinned?.accounts ?? this.store.snapshot();
  }

  now(): number {
    return this.pinned?.now ?? this.clock();
  }

  /** Holds the store's current state (and time) for every metric read until `unpin`. */
  pin(): void {
    this.pinned = { accounts: this.store.snapshot(), now: this.clock() };
  }

  unpin(): void {
    this.pinned = undefined;
  }
}

export interface StoreMetricOptions<L extends string> {
  registry: Registry;
  reader: StoreReader;
  name: string;
  help: string;
  labelNames: readonly L[];
  /** The series, computed from the accounts each time the metric is read. */
  samples(accounts: readonly AccountView[], now: number): Iterable<Sample<L>>;
  /** A failure to compute leaves the metric empty for this read (the scrape goes on) and is reported here. */
  onError?: (name: string, error: unknown) => void;
}

/**
 * A prom-client Gauge (or Counter) whose series are computed from the account store whenever it
 * is read, through prom-client's `collect()`: nothing copies values into it, so nothing can
 * forget to. A computation that throws leaves it empty rather than fail the whole scrape.
 */
export function storeGauge<L extends string>(options: StoreMetricOptions<L>): Gauge<L> {
  return new Gauge<L>({ ...common(options), collect: collectFrom(options) });
}

/** A Counter whose values are counts the store holds per account (see storeGauge). */
export function storeCounter<L extends string>(options: StoreMetricOptions<L>): Counter<L> {
  return new Counter<L>({ ...common(options), collect: collectFrom(options) });
}

function common<L extends string>(options: StoreMetricOptions<L>) {
  return {
    name: options.name,
    help: options.help,
    labelNames: options.labelNames,
    registers: [options.registry],
  };
}

function collectFrom<L extends string>(options: StoreMetricOptions<L>) {
  return function (this: Gauge<L> | Counter<L>): void {
    this.reset();
    try {
      const samples = options.samples(options.reader.accounts(), options.reader.now());
      if (this instanceof Gauge) for (const [labels, value] of samples) this.set(labels, value);
      else for (const [labels, value] of samples) this.inc(labels, value);
    } catch (error) {
      this.reset();
      options.onError?.(options.name, error);
    }
  };
}
