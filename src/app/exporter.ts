import type { Server } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { AccountStatusStore } from '../accounts/store';
import { BalanceHistory } from '../accounts/history';
import { BalanceCollector } from '../metrics/collector';
import { ConfigError, type ExporterConfig } from '../config/config';
import { createBalanceClient, type BalanceClient } from '../itnio/client';
import type { Logger } from '../log/logger';
import { createProcessRegistry, MetricsRenderer } from '../metrics/exposition';
import { logPollResult } from '../polling/poll-log';
import { Poller } from '../polling/poller';
import { ConfigReloader, type ReloadResult } from './reload';
import { createCronScheduler, type Scheduler } from '../polling/scheduler';
import { createApp } from './server';
import { listen } from '../web/listen';
import { EXPORTER_NAME, EXPORTER_VERSION } from './version';
import { BasicAuth } from '../web/basic-auth';
import { updateTlsServer } from '../web/tls';

export interface ExporterDeps {
  logger: Logger;
  client?: BalanceClient;
  scheduler?: Scheduler;
  now?: () => number;
  /** Reads the configuration again for SIGHUP and /-/reload; throws ConfigError. */
  reloadConfig?: () => ExporterConfig;
}

export interface RunningExporter {
  server: Server;
  /** Base URL the exporter answers on, e.g. http://127.0.0.1:10042 */
  url: string;
  poller: Poller;
  collector: BalanceCollector;
  statuses: AccountStatusStore;
  history: BalanceHistory;
  /** Re-reads the configuration and applies what can change live; `trigger` is for the log. */
  reload(trigger: string): Promise<ReloadResult>;
  /** Stops polling (aborting in-flight requests) and closes the server. */
  close(): Promise<void>;
}

/** Builds every piece from the configuration, starts serving, and polls at once and on schedule. */
export async function startExporter(config: ExporterConfig, deps: ExporterDeps): Promise<RunningExporter> {
  const { logger } = deps;
  const now = deps.now ?? Date.now;
  const client = deps.client ?? createBalanceClient({ timeoutMs: config.apiTimeoutMs, userAgent: `${EXPORTER_NAME}/${EXPORTER_VERSION}`, ...(config.caFile ? { caFile: config.caFile } : {}), now });
  const registry = new Registry();
  const collector = new BalanceCollector({
    registry,
    accounts: config.accounts,
    maxAgeMs: config.pollMaxAgeMs,
    version: EXPORTER_VERSION,
    now,
  });
  const statuses = new AccountStatusStore(config.accounts);
  const history = new BalanceHistory({ accounts: config.accounts, maxGapMs: config.pollMaxAgeMs, now });
  const poller = new Poller({
    client,
    accounts: config.accounts,
    concurrency: config.pollConcurrency,
    now,
    onResult: (result) => {
      collector.record(result);
      statuses.record(result);
      history.record(result);
      logPollResult(logger, result);
    },
    onListenerError: (error) => logger.error({ err: error instanceof Error ? error.message : String(error) }, 'recording a poll result failed'),
  });
  const processRegistry = createProcessRegistry();
  const renderer = new MetricsRenderer(collector, processRegistry, { pollsRunning: () => poller.busy });
  // Probes stay open so an orchestrator needs no password.
  const auth = new BasicAuth({ users: config.web?.users ?? new Map(), openPaths: ['/healthz', '/readyz'], realm: EXPORTER_NAME });
  for (const warning of [...config.warnings, ...(config.web?.warnings ?? [])]) logger.warn(warning);
  const reloader = new ConfigReloader({
    initial: config,
    load:
      deps.reloadConfig ??
      (() => {
        throw new ConfigError(['this exporter was started without a configuration source to read again']);
      }),
    targets: {
      setAccounts: (accounts, added) => {
        collector.setAccounts(accounts);
        statuses.setAccounts(accounts);
        poller.setAccounts(accounts);
        history.setAccounts(accounts);
        // New accounts get numbers (and readiness) now rather than at the next scheduled poll.
        void poller.pollSome(added);
      },
      setWebConfig: (web, applyTls) => {
        auth.setUsers(web?.users ?? new Map());
        if (applyTls && web?.tls) updateTlsServer(server as HttpsServer, web.tls);
      },
    },
    logger,
    registry: processRegistry,
    now,
  });
  const reload = async (trigger: string): Promise<ReloadResult> => {
    const result = await reloader.reload(trigger);
    // The reload gauges live with the process metrics, which are otherwise reused for a second.
    renderer.processChanged();
    return result;
  };
  const app = createApp({
    telemetryPath: config.telemetryPath,
    metrics: renderer,
    statuses,
    page: { name: EXPORTER_NAME, version: EXPORTER_VERSION, pollDescription: () => config.pollDescription, maxAgeMs: config.pollMaxAgeMs, history, now },
    logger,
    auth: auth.middleware(),
    ...(config.webEnableLifecycle ? { reload } : {}),
  });

  const server = await listen(app, config.listen, config.web?.tls);
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `${config.web?.tls ? 'https' : 'http'}://${host === '[::]' || host === '0.0.0.0' ? 'localhost' : host}:${address.port}`;

  const scheduler = deps.scheduler ?? createCronScheduler(config.pollSchedule, logger);
  // Expire stale balances even when polls are rare or stuck.
  const sweep = setInterval(() => collector.expireStale(), Math.max(1000, Math.min(config.pollMaxAgeMs / 4, 60_000)));
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
  return { server, url, poller, collector, statuses, history, reload, close };
}
