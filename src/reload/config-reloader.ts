import { Gauge, Registry } from 'prom-client';
import type { Account } from '../config/account';
import { ConfigError, configWarnings, type ExporterConfig } from '../config/config';
import type { Logger } from '../log/logger';
import type { WebConfig } from '../config/web-config';

/** The watcher's trigger (src/config-watch/watch.ts FILE_CHANGE_TRIGGER). */
const FILE_CHANGE = 'file change';

interface ReloadTargets {
  /** The account set in force (the account store's). */
  accounts(): readonly Account[];
  /** Replaces the account set; returns the accounts that are new, or now another ITNIO account. */
  setAccounts(accounts: readonly Account[]): { added: readonly Account[]; replaced: readonly Account[] };
  /** Basic auth users and, when TLS stays on with the same client auth, certificate and key. */
  setWebConfig(web: WebConfig | undefined, applyTls: boolean): void;
  /** The certificates of --api.ca-file changed: the ITNIO client(s) trust the new ones from now on. */
  setApiCa?(config: ExporterConfig): void;
}

export interface ConfigReloaderOptions {
  /** The configuration the exporter started with. */
  initial: ExporterConfig;
  /** Reads the configuration again from the original flags and environment; throws ConfigError. */
  load: () => ExporterConfig | Promise<ExporterConfig>;
  targets: ReloadTargets;
  logger: Logger;
  now?: () => number;
}

export type ReloadResult =
  | { ok: true; added: string[]; removed: string[]; needsRestart: string[] }
  /** Problems name keys and files, never a secret. */
  | { ok: false; problems: string[] };

interface RestartOnly {
  setting: string;
  value: (config: ExporterConfig) => unknown;
}

/** What a running exporter cannot change in place: listeners, schedule, clients, TLS mode. */
const RESTART_ONLY: readonly RestartOnly[] = [
  {
    setting: '--web.listen-address',
    value: (c) => (c.listenAddresses ?? [c.listen]).map((l) => `${l.host}:${l.port}`).join(','),
  },
  { setting: '--web.systemd-socket', value: (c) => c.systemdSocket ?? false },
  { setting: '--web.telemetry-path', value: (c) => c.telemetryPath },
  { setting: '--web.enable-lifecycle', value: (c) => c.webEnableLifecycle },
  { setting: 'tls_server_config (TLS on or off)', value: (c) => c.web?.tls !== undefined },
  { setting: 'tls_server_config.client_auth_type', value: (c) => c.web?.tls?.clientAuthType ?? 'NoClientCert' },
  { setting: '--api.timeout', value: (c) => c.apiTimeoutMs },
  { setting: '--api.ca-file', value: (c) => c.caFile },
  { setting: '--api.proxy-url', value: (c) => c.apiProxyUrl },
  { setting: '--poll.interval / --poll.schedule', value: (c) => c.pollSchedule },
  { setting: '--poll.max-age', value: (c) => c.pollMaxAgeMs },
  { setting: '--poll.concurrency', value: (c) => c.pollConcurrency },
  { setting: '--log.level', value: (c) => c.logLevel },
  { setting: '--collector.numbers', value: (c) => c.numbers.enabled },
  { setting: '--numbers.interval', value: (c) => c.numbers.schedule },
  { setting: '--numbers.due-date-utc-offset', value: (c) => c.numbers.dueDateUtcOffsetMinutes },
];

/** Settings whose new value differs from the one the process started with. */
export function settingsNeedingRestart(running: ExporterConfig, next: ExporterConfig): string[] {
  return RESTART_ONLY.filter((r) => r.value(running) !== r.value(next)).map((r) => r.setting);
}

/**
 * Re-reads the configuration on SIGHUP or POST /-/reload. A configuration with any problem is
 * refused as a whole and the running one stays; a good one replaces accounts and web users.
 *
 * Its gauges live on its own `registry` and are computed from its state when read; with
 * `changeCount` it is a metrics source like the collector (src/metrics/exposition.ts), so the
 * exposition shows a reload's outcome at the next scrape without anyone telling it.
 */
export class ConfigReloader {
  /** The reload gauges, derived from the last attempt's outcome whenever they are read. */
  readonly registry = new Registry();
  private readonly initial: ExporterConfig;
  /** Basic auth users in force, to warn when a reload turns auth off. */
  private authUsers: number;
  private queue: Promise<unknown> = Promise.resolve();
  /** The last attempt's outcome, and when the configuration was last loaded (start-up counts). */
  private lastSuccessful = true;
  private lastSuccessMs: number;
  private attempted = 0;
  private readonly listeners: (() => void)[] = [];
  /** The configuration last applied: a load that returns this very object has nothing new. */
  private current: ExporterConfig;

  constructor(private readonly options: ConfigReloaderOptions) {
    this.initial = options.initial;
    this.current = options.initial;
    this.authUsers = options.initial.web?.users.size ?? 0;
    this.lastSuccessMs = (options.now ?? Date.now)();
    const state = (): { successful: boolean; successMs: number } => ({
      successful: this.lastSuccessful,
      successMs: this.lastSuccessMs,
    });
    new Gauge({
      name: 'itniotech_exporter_config_last_reload_successful',
      help: 'Whether the last configuration reload attempt was successful.',
      registers: [this.registry],
      collect() {
        this.set(state().successful ? 1 : 0);
      },
    });
    new Gauge({
      name: 'itniotech_exporter_config_last_reload_success_timestamp_seconds',
      help: 'Unix time of the last successful configuration load (start-up counts).',
      registers: [this.registry],
      collect() {
        this.set(state().successMs / 1000);
      },
    });
  }

  /** Reloads attempted so far: each one can change the reload gauges. */
  changeCount(): number {
    return this.attempted;
  }

  /** Calls `listener` after each reload attempt, so the exposition can be rebuilt. */
  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** One more attempt, its outcome set: counted only now, as the load may wait (a settling file) and a render meanwhile must not count it. */
  private attemptDone(): void {
    this.attempted++;
    for (const listener of this.listeners) listener();
  }

  /** One reload at a time: a SIGHUP during a /-/reload waits for it. */
  reload(trigger: string): Promise<ReloadResult> {
    const run = this.queue.then(() => this.reloadNow(trigger));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** A good reload of the files in force: counted and timed as one, but nothing is applied again. */
  private unchanged(trigger: string): ReloadResult {
    this.succeeded();
    // Asked for (SIGHUP, /-/reload): acknowledged; found by the watcher (a file changed back): a debug line.
    const level = trigger === FILE_CHANGE ? 'debug' : 'info';
    this.options.logger[level]({ trigger }, 'configuration reloaded; nothing changed');
    return { ok: true, added: [], removed: [], needsRestart: settingsNeedingRestart(this.initial, this.current) };
  }

  private succeeded(): void {
    this.lastSuccessful = true;
    this.lastSuccessMs = (this.options.now ?? Date.now)();
    this.attemptDone();
  }

  private async reloadNow(trigger: string): Promise<ReloadResult> {
    const { logger, targets } = this.options;
    let next: ExporterConfig;
    try {
      next = await this.options.load();
      if (next === this.current) return this.unchanged(trigger);
      const newNames = new Set(next.accounts.map((a) => a.name));
      const removed = targets
        .accounts()
        .filter((a) => !newNames.has(a.name))
        .map((a) => a.name);
      const needsRestart = settingsNeedingRestart(this.initial, next);
      const tlsUnchanged = !needsRestart.some((s) => s.startsWith('tls_server_config'));

      targets.setWebConfig(next.web, tlsUnchanged && next.web?.tls !== undefined);
      const { added, replaced } = targets.setAccounts(next.accounts);
      const apiCaChanged = next.caFilePem !== this.current.caFilePem && targets.setApiCa !== undefined;
      if (apiCaChanged) targets.setApiCa?.(next);

      this.succeeded();
      for (const warning of configWarnings(next)) logger.warn({ trigger }, warning);
      if (this.authUsers > 0 && (next.web?.users.size ?? 0) === 0) {
        logger.warn({ trigger }, 'basic auth is now off: the reloaded web config has no basic_auth_users');
      }
      this.authUsers = next.web?.users.size ?? 0;
      this.current = next;
      logger.info(
        {
          trigger,
          accounts: next.accounts.map((a) => a.name),
          added: added.map((a) => a.name),
          removed,
          replaced: replaced.map((a) => a.name),
          basicAuthUsers: next.web?.users.size ?? 0,
          ...(apiCaChanged ? { apiCaFileReloaded: true } : {}),
        },
        'configuration reloaded',
      );
      if (needsRestart.length > 0) {
        logger.warn(
          { trigger, settings: needsRestart },
          `changed settings need a restart to take effect: ${needsRestart.join(', ')}`,
        );
      }
      return { ok: true, added: added.map((a) => a.name), removed, needsRestart };
    } catch (error) {
      const problems =
        error instanceof ConfigError ? error.problems : [error instanceof Error ? error.message : String(error)];
      this.lastSuccessful = false;
      this.attemptDone();
      logger.error({ trigger, problems }, 'configuration reload failed; the running configuration stays');
      return { ok: false, problems };
    }
  }
}
