import type { Server } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import { Registry } from 'prom-client';
import { AccountStore } from '../accounts/store';
import { steadyNow, steadyToWallOffsetMs } from '../clock/steady';
import { ConfigError, configWarnings, type ExporterConfig } from '../config/config';
import type { BalanceClient } from '../itnio/client';
import type { Logger } from '../log/logger';
import { BalanceCollector } from '../metrics/collector';
import { createProcessRegistry, MetricsRenderer } from '../metrics/exposition';
import { logPollResult } from '../polling/poll-log';
import { Poller } from '../polling/poller';
import { createCronScheduler, type Scheduler } from '../polling/scheduler';
import { BasicAuth } from '../web/basic-auth';
import { closeServer, listen, serverUrl } from '../web/listen';
import { updateTlsServer } from '../web/tls';
import { clientFor } from './client';
import { ConfigReloader, type ReloadResult } from './reload';
import { createApp } from './server';
import { EXPORTER_NAME, EXPORTER_VERSION } from './version';

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
  /** The one store of per-account poll state. */
  accounts: AccountStore;
  /** Re-reads the configuration and applies what can change live; `trigger` is for the log. */
  reload(trigger: string): Promise<ReloadResult>;
  /** Stops polling (aborting in-flight requests) and closes the server. */
  close(): Promise<void>;
}

const noReloadSource = (): ExporterConfig => {
  throw new ConfigError(['this exporter was started without a configuration source to read again']);
};

/** Builds every piece from the configuration, starts serving, and polls at once and on schedule. */
export async function startExporter(config: ExporterConfig, deps: ExporterDeps): Promise<RunningExporter> {
  const { logger } = deps;
  const now = deps.now ?? Date.now;
  // Ages, expiry and history run on the steady clock; tests that set the time set both.
  const steady = deps.now ?? steadyNow;
  const wallOffsetMs = deps.now ? () => 0 : steadyToWallOffsetMs;
  const client = deps.client ?? clientFor(config, now);
  const registry = new Registry();
  const processRegistry = createProcessRegistry();

  const accounts = new AccountStore({ accounts: config.accounts, maxAgeMs: config.pollMaxAgeMs, now: steady });
  const collector = new BalanceCollector({
    registry,
    store: accounts,
    maxAgeMs: config.pollMaxAgeMs,
    version: EXPORTER_VERSION,
    now: steady,
  });
  // Prepared bytes are served while polls run; the renderer rebuilds when the collector changes.
  const renderer = new MetricsRenderer(collector, processRegistry, { pollsRunning: () => poller.busy });
  const poller = new Poller({
    client,
    accounts: config.accounts,
    concurrency: config.pollConcurrency,
    backoff: { gapMs: config.pollGapMs, maxAgeMs: config.pollMaxAgeMs },
    now,
    steadyNow: steady,
    onResult: (result) => {
      accounts.record(result);
      logPollResult(logger, result);
    },
    onListenerError: (error) =>
      logger.error({ err: error instanceof Error ? error.message : String(error) }, 'recording a poll result failed'),
  });
  accounts.subscribe({
    onAccounts: (current, { added, replaced }) => {
      poller.setAccounts(current);
      // New and replaced accounts get numbers (and readiness) now rather than at the next scheduled poll.
      void poller.pollSome([...added, ...replaced]);
    },
  });

  // Probes stay open so an orchestrator needs no password.
  const auth = new BasicAuth({
    users: config.web?.users ?? new Map(),
    openPaths: ['/healthz', '/readyz'],
    realm: EXPORTER_NAME,
  });
  for (const warning of configWarnings(config)) logger.warn(warning);
  const reloader = new ConfigReloader({
    initial: config,
    load: deps.reloadConfig ?? noReloadSource,
    targets: {
      accounts: () => accounts.configured(),
      setAccounts: (next) => accounts.setAccounts(next),
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
    accounts,
    page: {
      name: EXPORTER_NAME,
      version: EXPORTER_VERSION,
      pollDescription: () => config.pollDescription,
      maxAgeMs: config.pollMaxAgeMs,
      now: steady,
      wallOffsetMs,
    },
    logger,
    auth: auth.middleware(),
    ...(config.webEnableLifecycle ? { reload } : {}),
  });

  const server = await listen(app, config.listen, config.web?.tls);
  const url = serverUrl(server, config.web?.tls !== undefined);

  const scheduler = deps.scheduler ?? createCronScheduler(config.pollSchedule, logger);
  const stopExpirySweep = collector.startExpirySweep();
  void poller.pollAll();
  scheduler.start(() => void poller.pollAll());
  logger.info(
    { version: EXPORTER_VERSION, url, accounts: config.accounts.map((a) => a.name), schedule: config.pollSchedule },
    `${EXPORTER_NAME} listening; polling ${config.accounts.length} account(s) ${config.pollDescription}`,
  );

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      stopExpirySweep();
      renderer.close();
      await scheduler.stop();
      poller.stop();
      await closeServer(server);
    })();
    return closing;
  };
  return { server, url, poller, collector, accounts, reload, close };
}
