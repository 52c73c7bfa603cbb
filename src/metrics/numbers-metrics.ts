import { Gauge, type Registry } from 'prom-client';
import {
  apiErrorSamples,
  dueSamples,
  failureSamples,
  lastSuccessSamples,
  requestSamples,
  stateSamples,
  upSamples,
  type NumbersSample,
  type NumbersSampleOptions,
} from '../numbers/numbers-samples';
import type { AccountView } from '../store/account-store';
import { storeCounter, storeGauge, type StoreReader } from './store-metric';

type Samples = (accounts: readonly AccountView[], now: number, options: NumbersSampleOptions) => NumbersSample[];

/** The numbers poll's series (docs/metrics.md#rented-numbers): one row each. */
const NUMBERS_METRICS: ReadonlyArray<{
  type: 'gauge' | 'counter';
  name: string;
  help: string;
  labelNames: readonly string[];
  samples: Samples;
}> = [
  {
    type: 'gauge',
    name: 'itniotech_number_due_timestamp_seconds',
    help: 'Due moment of each rented number in use (00:00 of its due date at the configured UTC offset), Unix time.',
    labelNames: ['account', 'number', 'country', 'type'],
    samples: dueSamples,
  },
  {
    type: 'gauge',
    name: 'itniotech_numbers',
    help: 'Rented numbers of the account by state (in_use, expired, disabled, other), from the last successful numbers poll.',
    labelNames: ['account', 'state'],
    samples: stateSamples,
  },
  {
    type: 'gauge',
    name: 'itniotech_numbers_up',
    help: '1 if the last numbers poll (number/queryPage) of the account succeeded, else 0.',
    labelNames: ['account'],
    samples: (accounts, _, options) => upSamples(accounts, options),
  },
  {
    type: 'gauge',
    name: 'itniotech_numbers_last_success_timestamp_seconds',
    help: 'Unix time of the last successful numbers poll.',
    labelNames: ['account'],
    samples: (accounts, _, options) => lastSuccessSamples(accounts, options),
  },
  {
    type: 'counter',
    name: 'itniotech_numbers_api_errors_total',
    help: 'number/queryPage answers with a non-zero status, by status code.',
    labelNames: ['account', 'status'],
    samples: (accounts, _, options) => apiErrorSamples(accounts, options),
  },
  {
    type: 'counter',
    name: 'itniotech_numbers_request_failures_total',
    help: 'Numbers polls that got no usable answer, by reason.',
    labelNames: ['account', 'reason'],
    samples: (accounts, _, options) => failureSamples(accounts, options),
  },
  {
    type: 'counter',
    name: 'itniotech_numbers_requests_total',
    help: 'number/queryPage requests sent to the ITNIO API (one per page).',
    labelNames: ['account'],
    samples: (accounts, _, options) => requestSamples(accounts, options),
  },
];

/** Registers the numbers series, computed from the store when read. */
export function registerNumbersMetrics(
  registry: Registry,
  reader: StoreReader,
  options: NumbersSampleOptions & { onError?: (name: string, error: unknown) => void },
): void {
  for (const metric of NUMBERS_METRICS) {
    const make = metric.type === 'gauge' ? storeGauge : storeCounter;
    make({
      registry,
      reader,
      name: metric.name,
      help: metric.help,
      labelNames: metric.labelNames,
      samples: (accounts, now) => metric.samples(accounts, now, options),
      ...(options.onError ? { onError: options.onError } : {}),
    });
  }
}

/**
 * itniotech_account_info{account, currency, ...labels} 1: what the accounts file says each
 * account is. Its label names follow the accounts (a reload may add one), so they are set at
 * every read rather than fixed at registration.
 */
export function registerAccountInfo(registry: Registry, reader: StoreReader): void {
  new Gauge({
    name: 'itniotech_account_info',
    help: "Always 1: the account's currency and labels from the accounts file.",
    labelNames: ['account', 'currency'],
    registers: [registry],
    collect() {
      this.reset();
      const accounts = reader.accounts().map((view) => view.account);
      const names = new Set(['account', 'currency']);
      for (const account of accounts) for (const name of Object.keys(account.labels ?? {})) names.add(name);
      (this as unknown as { labelNames: string[] }).labelNames = [...names];
      for (const account of accounts) {
        this.set(
          { account: account.name, ...(account.currency ? { currency: account.currency } : {}), ...account.labels },
          1,
        );
      }
    },
  });
}
