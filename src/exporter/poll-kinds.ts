import type { PollKindState } from '../store/account-store';
import type { ExporterConfig } from '../config/config';
import type { BalanceClient } from '../itnio/client';
import type { Logger } from '../log/logger';
import type { StoreReader } from '../metrics/store-metric';
import type { Registry } from 'prom-client';
import { registerAccountInfo } from '../metrics/numbers-metrics';
import type { NumbersClient } from '../itnio/numbers-client';
import { balancePollKind } from '../polling/balance-kind';
import { numbersPlugin } from './numbers-plugin';
import type { PollKind, PollOutcome } from '../polling/kind';
import { logPollResult } from '../polling/poll-log';
import type { PollResult } from '../polling/poller';

/**
 * One kind of poll, plugged into a running exporter: what it polls, how often, where its state
 * lives and what it exports. Every kind shares the poller (its concurrency limit), the client
 * settings, the -15 back-off of the account's key and the store; a new kind is a new module
 * that returns one of these, added to the table in `pollPlugins`.
 */
export interface PollPlugin {
  /** Its name and how to poll one account (src/polling/kind.ts). */
  kind: PollKind;
  /** Its cron expression (src/config/schedule.ts turns an interval into one). */
  schedule: string;
  /** Its state slot on each account in the store; getBalance has none, its state is the store's own. */
  state?: PollKindState;
  /**
   * Registers its metrics on the exporter's registry, computed from the store when read
   * (storeGauge); pass `onError` on to them, so a metric that fails to compute is logged.
   */
  registerMetrics?(registry: Registry, reader: StoreReader, onError: (metric: string, error: unknown) => void): void;
  /** Logs one of its results. */
  log?(logger: Logger, result: PollResult<PollOutcome>): void;
}

/** The table of kinds of poll a running exporter sends, getBalance first. */
export function pollPlugins(config: ExporterConfig, client: BalanceClient, numbers?: NumbersClient): PollPlugin[] {
  return [
    {
      kind: balancePollKind(client),
      schedule: config.pollSchedule,
      // The balance metrics are the collector's (src/metrics/collector.ts), registered for every exporter;
      // what each account is (currency, labels) goes with them, whatever else is polled.
      registerMetrics: (registry, reader) => registerAccountInfo(registry, reader),
      log: (logger, result) => logPollResult(logger, result as PollResult),
    },
    ...(config.numbers.enabled && numbers ? [numbersPlugin(config, numbers)] : []),
  ];
}
