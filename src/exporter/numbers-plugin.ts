import type { Registry } from 'prom-client';
import type { ExporterConfig } from '../config/config';
import type { NumbersClient, NumbersOutcome } from '../itnio/numbers-client';
import type { Logger } from '../log/logger';
import { registerNumbersMetrics } from '../metrics/numbers-metrics';
import type { StoreReader } from '../metrics/store-metric';
import { numbersPollKind, numbersSchedule } from '../numbers/numbers-kind';
import { createNumbersLog } from '../numbers/numbers-log';
import { NUMBERS_POLL } from '../numbers/numbers-samples';
import { recordNumbers, type NumbersSlot } from '../numbers/numbers-state';
import type { PollKind, PollOutcome } from '../polling/kind';
import type { PollResult } from '../polling/poller';
import type { PollKindState } from '../store/account-store';

/**
 * The rented-numbers poll (--collector.numbers): number/queryPage on its own interval, sharing the
 * poller, the client settings and the -15 back-off of each key with getBalance. Its results live
 * in the account's `numbers` slot and never touch `itniotech_up` or the balance.
 */
export function numbersPlugin(
  config: Pick<ExporterConfig, 'numbers' | 'pollGapMs' | 'pollMaxAgeMs'>,
  client: NumbersClient,
  onMetricError?: (name: string, error: unknown) => void,
) {
  // A PollPlugin (./poll-kinds.ts), checked where the table lists it: importing the type here would be a cycle.
  const state: PollKindState<NumbersSlot> = {
    name: NUMBERS_POLL,
    record: (previous, result) => recordNumbers(previous, result as unknown as PollResult<NumbersOutcome>),
  };
  const log = createNumbersLog();
  return {
    kind: numbersPollKind(client) as PollKind,
    schedule: numbersSchedule(config.numbers.schedule, config.pollGapMs),
    state,
    registerMetrics: (registry: Registry, reader: StoreReader) =>
      registerNumbersMetrics(registry, reader, {
        enabled: config.numbers.enabled,
        maxAgeMs: config.pollMaxAgeMs,
        ...(onMetricError ? { onError: onMetricError } : {}),
      }),
    log: (logger: Logger, result: PollResult<PollOutcome>) =>
      log(logger, result as unknown as PollResult<NumbersOutcome>),
  };
}
