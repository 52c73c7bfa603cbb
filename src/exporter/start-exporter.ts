import type { Server } from 'node:http';
import { hostname } from 'node:os';
import type { Server as HttpsServer } from 'node:https';
import { Registry } from 'prom-client';
import { AccountStore } from '../store/account-store';
import { steadyNow, steadyToWallOffsetMs } from '../clock/steady';
import { ConfigError, configWarnings, type ExporterConfig } from '../config/config';
import { longestGapMs } from '../config/schedule';
import type { BalanceClient } from '../itnio/client';
import type { NumbersClient } from '../itnio/numbers-client';
import type { Logger } from '../log/logger';
import { BalanceCollector } from '../metrics/collector';
import { createProcessRegistry, MetricsRenderer } from '../metrics/exposition';
import { reportEachMetricErrorOnce } from '../metrics/metric-errors';
import { BALANCE_POLL } from '../polling/balance-kind';
import type { PollTarget } from '../polling/kind';
import { Poller } from '../polling/poller';
import { createCronScheduler, type Scheduler } from '../polling/scheduler';
import { SpreadRounds, spreadWindowMs } from '../polling/spread';
import { WebFront } from '../web/front';
import { closeServer, listenAll, serverUrl, systemdListenFds } from '../web/listen';
import { updateTlsServer } from '../web/tls';
import { numbersClientFor, renewableClientsFor, type RenewableClients } from './itnio-client';
import { pollPlugins, type PollPlugin } from './poll-kinds';
import { ConfigReloader, type ReloadResult } from '../reload/config-reloader';
import { createApp } from './http-app';
import { EXPORTER_NAME, EXPORTER_VERSION } from './version';

export interface ExporterDeps {
  logger: Logger;
  client?: BalanceClient;
  /** The number/queryPage client (default: built like the balance client when --collector.numbers is on). */
  numbersClient?: NumbersClient;
  /** The getBalance poll's scheduler (default: cron on --poll.interval / --poll.schedule). */
  scheduler?: Scheduler;
  /** Schedulers of the other kinds of poll, by kind name (default: cron on the kind's schedule). */
  schedulers?: Readonly<Record<string, Scheduler>>;
  /** Kinds of poll added to the table's (tests plug in their own here). */
  extraPolls?: readonly PollPlugin[];
  now?: () => number;
  /** Reads the configuration again for SIGHUP and /-/reload; throws ConfigError. */
  reloadConfig?: () => ExporterConfig | Promise<ExporterConfig>;
  /** Salts the spread offsets (default: the host name); the spread benchmark runs two replicas in one process. */
  spreadSalt?: string;
}

/** The polls of a running exporter, for tests and tools that want a round now. */
interface ExporterPolls {
  /** Polls every account that is not backing off, for one kind (default: getBalance); resolves when done. */
  pollAll(kind?: string): Promise<void>;
  /** Whether any poll is queued or in flight. */
  readonly busy: boolean;
}

export interface RunningExporter {
  /** The first listener. */
  server: Server;
  /** Every listener: one per --web.listen-address, or per socket systemd passed. */
  servers: Server[];
  /** Base URL the exporter answers on, e.g. http://127.0.0.1:10042 */
  url: string;
  poller: ExporterPolls;
  collector: BalanceCollector;
  /** The one owner of every account's state. */
  accounts: AccountStore;
  /** Re-reads the configuration and applies what can change live; `trigger` is for the log. */
  reload(trigger: string): Promise<ReloadResult>;
  /** Stops polling (aborting in-flight requests) and closes the server. */
  close(): Promise<void>;
}

interface Clocks {
  now: () => number;
  /** Ages, expiry and history run on the steady clock; tests that set the time set both. */
  steady: () => number;
  wallOffsetMs: () => number;
}

/** The account store, its metrics and the poller that feeds it. */
interface Core {
  store: AccountStore;
  collector: BalanceCollector;
  poller: Poller;
  plugins: readonly PollPlugin[];
  /** Logs a metric that failed to compute, once per distinct error. */
  onMetricError: (metric: string, error: unknown) => void;
}

const noReloadSource = (): ExporterConfig => {
  throw new ConfigError(['this exporter was started without a configuration source to read again']);
};

/** Builds every piece from the configuration, starts serving, and polls at once and on schedule. */
export async function startExporter(config: ExporterConfig, deps: ExporterDeps): Promise<RunningExporter> {
  const clocks: Clocks = {
    now: deps.now ?? Date.now,
    steady: deps.now ?? steadyNow,
    wallOffsetMs: deps.now ? () => 0 : steadyToWallOffsetMs,
  };
  // Clients given by a test stay as they are; the exporter's own are rebuilt when the CA file changes.
  const api = deps.client ? undefined : renewableClientsFor(config, clocks.now);
  const client = deps.client ?? (api as RenewableClients).balance;
  const ownNumbers = config.numbers.enabled ? () => numbersClientFor(config, clocks.now) : () => undefined;
  const numbers = deps.numbersClient ?? (api ? api.numbers : ownNumbers());
  const core = buildCore(config, deps, clocks, [...pollPlugins(config, client, numbers), ...(deps.extraPolls ?? [])]);
  for (const warning of configWarnings(config)) deps.logger.warn(warning);
  const web = buildWeb(config, deps, core, clocks, api);
  const targets = config.systemdSocket ? systemdListenFds() : (config.listenAddresses ?? [config.listen]);
  const servers = await listenAll(web.app, targets, config.web?.tls);
  web.serversReady(servers);
  const server = servers[0] as Server;
  const urls = servers.map((s) => serverUrl(s, config.web?.tls !== undefined));
  const url = urls[0] as string;
  const stopPolling = startPolling(config, deps, core, clocks);
  deps.logger.info(
    {
      version: EXPORTER_VERSION,
      url,
      ...(urls.length > 1 ? { urls } : {}),
      accounts: config.accounts.map((a) => a.name),
      schedule: config.pollSchedule,
      proxy: config.proxyDescription,
    },
    `${EXPORTER_NAME} listening; polling ${config.accounts.length} account(s) ${config.pollDescription}`,
  );
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      web.renderer.close();
      await stopPolling();
      await Promise.all(servers.map((s) => closeServer(s)));
      await web.front.close();
    })();
    return closing;
  };
  const polls: ExporterPolls = {
    pollAll: (kind = BALANCE_POLL) => core.poller.poll(kind, core.store.due(clocks.steady())),
    get busy() {
      return core.poller.busy;
    },
  };
  return {
    server,
    servers,
    url,
    poller: polls,
    collector: core.collector,
    accounts: core.store,
    reload: web.reload,
    close,
  };
}

function buildCore(config: ExporterConfig, deps: ExporterDeps, clocks: Clocks, plugins: PollPlugin[]): Core {
  const { logger } = deps;
  const store = new AccountStore({
    accounts: config.accounts,
    maxAgeMs: config.pollMaxAgeMs,
    now: clocks.steady,
    backoff: { gapMs: config.pollGapMs, maxAgeMs: config.pollMaxAgeMs },
  });
  const registry = new Registry();
  const onMetricError = reportEachMetricErrorOnce((metric, err) =>
    logger.error({ metric, err }, 'computing a metric failed'),
  );
  const collector = new BalanceCollector({
    registry,
    store,
    maxAgeMs: config.pollMaxAgeMs,
    version: EXPORTER_VERSION,
    now: clocks.steady,
    onError: onMetricError,
  });
  const logs = new Map(plugins.map((p) => [p.kind.name, p.log]));
  for (const plugin of plugins) {
    if (plugin.state) store.registerKind(plugin.state);
    plugin.registerMetrics?.(registry, collector.reader, onMetricError);
  }
  const poller = new Poller({
    kinds: plugins.map((p) => p.kind),
    concurrency: config.pollConcurrency,
    now: clocks.now,
    steadyNow: clocks.steady,
    onResult: (result) => {
      const backoff = store.record(result);
      logs.get(result.kind ?? BALANCE_POLL)?.(logger, backoff ? { ...result, backoff } : result);
    },
    onListenerError: (error) =>
      logger.error({ err: error instanceof Error ? error.message : String(error) }, 'recording a poll result failed'),
  });
  store.subscribe({
    // Removed and replaced entries' polls, and in-flight ones signed with a rotated secret, end by
    // themselves (the entry's signals, src/polling/kind.ts).
    onAccounts: (_current, { added, replaced, resigned }) => {
      // New and replaced accounts get numbers (and readiness) now rather than at the next scheduled
      // poll; one with a rotated secret too, unless its key is backing off.
      const fresh = new Set<string>([...added, ...replaced].map((a) => a.name));
      const due = new Set(store.due(clocks.steady()).map((t) => t.account.name));
      for (const a of resigned) if (due.has(a.name)) fresh.add(a.name);
      const targets = store.targets().filter((t) => fresh.has(t.account.name));
      for (const plugin of plugins) void poller.poll(plugin.kind.name, targets);
    },
  });
  return { store, collector, poller, plugins, onMetricError };
}

/** Polls every kind at once, then each on its own schedule; returns the function that stops it all. */
function startPolling(config: ExporterConfig, deps: ExporterDeps, core: Core, clocks: Clocks): () => Promise<void> {
  const stopExpirySweep = core.collector.startExpirySweep();
  const spreads: SpreadRounds[] = [];
  const schedulers = core.plugins.map((plugin) => {
    const name = plugin.kind.name;
    const injected = name === BALANCE_POLL ? deps.scheduler : deps.schedulers?.[name];
    const scheduler = injected ?? createCronScheduler(plugin.schedule, deps.logger);
    // Checked again when a spread group goes: a reload may have removed or replaced the entry.
    const poll = (targets: readonly PollTarget[]): void =>
      void core.poller.poll(
        name,
        targets.filter((t) => core.store.isCurrent(t)),
      );
    // An injected scheduler is the whole policy (tests tick it); the cron one spreads its rounds.
    const spread = !injected && config.pollSpread ? spreadFor(plugin, config, deps.spreadSalt) : undefined;
    if (spread) spreads.push(spread);
    poll(core.store.due(clocks.steady()));
    scheduler.start(() => {
      const due = core.store.due(clocks.steady());
      if (spread) spread.round(due, poll);
      else poll(due);
    });
    return scheduler;
  });
  return async () => {
    stopExpirySweep();
    for (const spread of spreads) spread.stop();
    await Promise.all(schedulers.map((s) => s.stop()));
    core.poller.stop();
  };
}

/** Offsets within the kind's gap between polls (at most a minute), salted with the host name. */
function spreadFor(plugin: PollPlugin, config: ExporterConfig, salt = hostname()): SpreadRounds {
  const gapMs = plugin.kind.name === BALANCE_POLL ? config.pollGapMs : longestGapMs(plugin.schedule);
  return new SpreadRounds({ windowMs: spreadWindowMs(gapMs), salt });
}

/** Basic auth, configuration reload, the exposition and the Express app. */
function buildWeb(config: ExporterConfig, deps: ExporterDeps, core: Core, clocks: Clocks, api?: RenewableClients) {
  // Headers, rate limit and basic auth; probes stay open so an orchestrator needs no password.
  const front = new WebFront(config.web, EXPORTER_NAME);
  let servers: Server[] = [];
  const reloader = new ConfigReloader({
    initial: config,
    load: deps.reloadConfig ?? noReloadSource,
    targets: {
      accounts: () => core.store.configured(),
      setAccounts: (next) => core.store.setAccounts(next),
      setWebConfig: (web, applyTls) => {
        front.setWebConfig(web);
        if (applyTls && web?.tls) for (const s of servers) updateTlsServer(s as HttpsServer, web.tls);
      },
      ...(api ? { setApiCa: (next: ExporterConfig) => api.renew(next) } : {}),
    },
    logger: deps.logger,
    now: clocks.now,
  });
  // Prepared bytes are served while polls run; the renderer rebuilds when the store or a reload changes them.
  const renderer = new MetricsRenderer([core.collector, reloader], createProcessRegistry(), {
    pollsRunning: () => core.poller.busy,
    onMetricError: core.onMetricError,
  });
  const reload = (trigger: string): Promise<ReloadResult> => reloader.reload(trigger);
  const app = createApp({
    telemetryPath: config.telemetryPath,
    metrics: renderer,
    accounts: core.store,
    page: {
      name: EXPORTER_NAME,
      version: EXPORTER_VERSION,
      pollDescription: () => config.pollDescription,
      maxAgeMs: config.pollMaxAgeMs,
      now: clocks.steady,
      wallOffsetMs: clocks.wallOffsetMs,
      numbersEnabled: config.numbers.enabled,
    },
    logger: deps.logger,
    auth: front.middleware(),
    ...(config.webEnableLifecycle ? { reload } : {}),
  });
  return { app, renderer, reload, front, serversReady: (s: Server[]) => void (servers = s) };
}
