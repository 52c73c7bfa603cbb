import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { AccountStatusStore } from './account-status';
import { BalanceCollector } from './collector';
import type { ExporterConfig } from './config';
import { createBalanceClient, type BalanceClient } from './itnio/client';
import type { Logger } from './logger';
import { createProcessRegistry, MetricsRenderer } from './metrics-renderer';
import { logPollResult } from './poll-report';
import { Poller } from './poller';
import { createCronScheduler, type Scheduler } from './scheduler';
import { createApp, listen } from './server';
import { EXPORTER_NAME, EXPORTER_VERSION } from './version';

export interface ExporterDeps {
  logger: Logger;
  client?: BalanceClient;
  scheduler?: Scheduler;
  now?: () => number;
}

export interface RunningExporter {
  server: Server;
  /** Base URL the exporter answers on, e.g. http://127.0.0.1:10042 */
  url: string;
  poller: Poller;
  collector: BalanceCollector;
  statuses: AccountStatusStore;
  /** Stops polling (aborting in-flight requests) and closes the server. */
  close(): Promise<void>;
}

/** Builds every piece from the configuration, starts serving, and polls at once and on schedule. */
export async function startExporter(config: ExporterConfig, deps: ExporterDeps): Promise<RunningExporter> {
  const { logger } = deps;
  const now = deps.now ?? Date.now;
  const client = deps.client ?? createBalanceClient({ timeoutMs: config.apiTimeoutMs, ...(config.caFile ? { caFile: config.caFile } : {}), now });
  const registry = new Registry();
  const collector = new BalanceCollector({
    registry,
    accounts: config.accounts,
    maxAgeMs: config.pollMaxAgeMs,
    pollDescription: config.pollDescription,
    version: EXPORTER_VERSION,
    now,
  });
  const statuses = new AccountStatusStore(config.accounts);
  const poller = new Poller({
    client,
    accounts: config.accounts,
    concurrency: config.pollConcurrency,
    now,
    onResult: (result) => {
      collector.record(result);
      statuses.record(result);
      renderer.sourceChanged();
      logPollResult(logger, result);
    },
    onListenerError: (error) => logger.error({ err: error instanceof Error ? error.message : String(error) }, 'recording a poll result failed'),
  });
  const renderer = new MetricsRenderer({ registry, changeCount: () => collector.changeCount, render: () => collector.render() }, createProcessRegistry());
  const app = createApp({
    telemetryPath: config.telemetryPath,
    metrics: renderer,
    statuses,
    page: { name: EXPORTER_NAME, version: EXPORTER_VERSION, pollDescription: () => config.pollDescription },
    logger,
  });

  const server = await listen(app, config.listen);
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host === '[::]' || host === '0.0.0.0' ? 'localhost' : host}:${address.port}`;

  const scheduler = deps.scheduler ?? createCronScheduler(config.pollSchedule, logger);
  // Expire stale balances even when polls are rare or stuck.
  const sweep = setInterval(() => collector.expireStale(), Math.min(config.pollMaxAgeMs / 4, 60_000));
  sweep.unref();
  void poller.pollAll();
  scheduler.start(() => void poller.pollAll());
  logger.info(
    { version: EXPORTER_VERSION, url, accounts: config.accounts.map((a) => a.name), schedule: config.pollSchedule },
    `${EXPORTER_NAME} listening; polling ${config.accounts.length} account(s) ${config.pollDescription}`,
  );

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      clearInterval(sweep);
      renderer.close();
      await scheduler.stop();
      poller.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        // Scrapes are short; anything still open after a moment is cut rather than waited for.
        setTimeout(() => server.closeAllConnections(), 1000).unref();
      });
    })();
    return closing;
  };
  return { server, url, poller, collector, statuses, close };
}
