import type { Account } from './account';
import { parseAccounts, plainHttpWarnings } from './accounts';
import { readCommandLine } from './flags';
import type { ListenAddress } from './listen-address';
import { parseNumbersSettings, type NumbersSettings } from './numbers-settings';
import { Problems } from './problems';
import { parseProxyUrl, parseProxyVariables, proxyInUse, type ProxyVariables } from './proxy-settings';
import {
  parseApiTimeout,
  parseBaseUrl,
  parseCaFile,
  parseConcurrency,
  parseBoolean,
  parseListen,
  parseLogLevel,
  parseMaxAge,
  parsePollSchedule,
  parseTelemetryPath,
  parseWebConfigFile,
  pollGap,
} from './settings';
import type { ConfigSources } from './sources';
import type { WebConfig } from './web-config';
import type { LogLevel } from '../log/levels';

// What the rest of the exporter uses of the configuration, besides loadConfig.
export { ConfigError } from './problems';
export { helpText } from './flags';
export { readConfigFile } from './read-file';

export interface ExporterConfig {
  /** The first --web.listen-address. */
  listen: ListenAddress;
  /** Every --web.listen-address (absent: just `listen`). */
  listenAddresses?: ListenAddress[];
  /** --web.systemd-socket: serve on the sockets systemd passes instead. */
  systemdSocket?: boolean;
  telemetryPath: string;
  configFile?: string;
  apiTimeoutMs: number;
  caFile?: string;
  /** What --api.ca-file held when read (public certificates), to tell a changed file on reload. */
  caFilePem?: string;
  /** --api.proxy-url, with a scheme; may hold proxy credentials: never log it whole. */
  apiProxyUrl?: string;
  /** HTTPS_PROXY, HTTP_PROXY (with a scheme) and NO_PROXY as the client uses them; may hold credentials. */
  proxyVariables: ProxyVariables;
  /** The proxy in use for the start-up log, without credentials ("none" when direct). */
  proxyDescription: string;
  /** Six-field node-cron expression the poller runs on. */
  pollSchedule: string;
  /** Human words for the schedule, used in HELP strings and logs ("every 60s"). */
  pollDescription: string;
  pollMaxAgeMs: number;
  /** The normal gap between polls (the interval, or the schedule's longest gap): the unit of back-off on -15. */
  pollGapMs: number;
  pollConcurrency: number;
  /** --poll.spread: each account polls at its own offset within the interval (src/polling/spread.ts). */
  pollSpread: boolean;
  logLevel: LogLevel;
  accounts: Account[];
  /** TLS and basic auth for the exporter's own endpoints, from --web.config.file. */
  web?: WebConfig;
  /** POST /-/reload re-reads the configuration. */
  webEnableLifecycle: boolean;
  /** Reload when a file read for this configuration changes (--config.watch). */
  configWatch: boolean;
  /** Valid but worth a log line at start-up and on reload (never a secret). */
  warnings: string[];
  /** The rented-numbers collector (--collector.numbers and its settings). */
  numbers: NumbersSettings;
}

/** Every warning of a valid configuration, the web config file's included: a log line each. */
export function configWarnings(config: ExporterConfig): string[] {
  return [...config.warnings, ...(config.web?.warnings ?? [])];
}

export type CliCommand =
  | { kind: 'help' }
  | { kind: 'version' }
  | { kind: 'run'; config: ExporterConfig; mode: 'serve' | 'check' | 'config-check' };

/** Which proxy variables the accounts' base URLs can use. */
function proxyUses(accounts: readonly Account[], apiProxyUrl: string | undefined) {
  // A base URL refused above is '' here, and uses neither.
  const uses = (scheme: RegExp): boolean => accounts.some((a) => scheme.test(a.baseUrl));
  return { https: uses(/^https:/i), http: uses(/^http:/i), proxyUrlGiven: apiProxyUrl !== undefined };
}

type CommandLine = ReturnType<typeof readCommandLine>;

/** The ITNIO API settings, in the order their problems are reported. */
function parseApiSettings(args: CommandLine, sources: ConfigSources, problems: Problems, warnings: string[]) {
  const baseUrl = parseBaseUrl(args.setting('api.base-url'), problems);
  const apiTimeoutMs = parseApiTimeout(args.setting('api.timeout'), problems);
  const ca = parseCaFile(args.optional('api.ca-file'), sources.readFile, problems, warnings);
  const apiProxyUrl = parseProxyUrl(args.optional('api.proxy-url'), problems, warnings);
  return { baseUrl, apiTimeoutMs, ca, apiProxyUrl };
}

/** The getBalance schedule, its maximum age, concurrency and spread, in the order their problems are reported. */
function parsePollSettings(args: CommandLine, problems: Problems) {
  const schedule = args.optional('poll.schedule');
  const interval = args.setting('poll.interval');
  const poll = parsePollSchedule(schedule, interval, problems);
  const gap = pollGap(schedule, interval);
  const pollMaxAgeMs = parseMaxAge(args.setting('poll.max-age'), gap, problems);
  const pollConcurrency = parseConcurrency(args.setting('poll.concurrency'), problems);
  const pollSpread = parseBoolean(args.setting('poll.spread'), problems);
  return { poll, gap, pollMaxAgeMs, pollConcurrency, pollSpread };
}

function parseNumbersFlags(args: CommandLine, problems: Problems) {
  return parseNumbersSettings(
    {
      enabled: args.setting('collector.numbers'),
      interval: args.setting('numbers.interval'),
      offset: args.setting('numbers.due-date-utc-offset'),
      maxAge: args.setting('poll.max-age'),
    },
    problems,
  );
}

/** Reads flags, environment and files; throws a ConfigError naming every problem at once. */
export function loadConfig(sources: ConfigSources): CliCommand {
  const problems = new Problems();
  const args = readCommandLine(sources, problems);
  if (args.mode === 'help' || args.mode === 'version') return { kind: args.mode };

  // Problems are reported in this order.
  const listenAddresses = args.all('web.listen-address').map((setting) => parseListen(setting, problems));
  const listen = listenAddresses[0];
  const systemdSocket = parseBoolean(args.setting('web.systemd-socket'), problems);
  const telemetryPath = parseTelemetryPath(args.setting('web.telemetry-path'), problems);
  const warnings: string[] = [];
  const { baseUrl, apiTimeoutMs, ca, apiProxyUrl } = parseApiSettings(args, sources, problems, warnings);
  const { poll, gap, pollMaxAgeMs, pollConcurrency, pollSpread } = parsePollSettings(args, problems);
  const logLevel = parseLogLevel(args.setting('log.level'), problems);
  const webEnableLifecycle = parseBoolean(args.setting('web.enable-lifecycle'), problems);
  const configWatch = parseBoolean(args.setting('config.watch'), problems);
  const web = parseWebConfigFile(args.optional('web.config.file'), sources.readFile, problems);
  const numbers = parseNumbersFlags(args, problems);
  const configFile = args.optional('config.file');
  // '' only for a base URL refused above, and then the accounts go unused.
  const accounts = parseAccounts(configFile, baseUrl ?? '', sources, problems);
  const proxyVariables = parseProxyVariables(sources.env, proxyUses(accounts, apiProxyUrl), problems);
  problems.throwIfAny();

  // No problem: every parser above returned its value.
  return {
    kind: 'run',
    mode: args.mode,
    config: {
      listen: listen!,
      listenAddresses: listenAddresses as ListenAddress[],
      ...(systemdSocket ? { systemdSocket } : {}),
      telemetryPath: telemetryPath!,
      ...(configFile ? { configFile: configFile.value } : {}),
      apiTimeoutMs: apiTimeoutMs!,
      ...(ca !== undefined ? { caFile: ca.path, caFilePem: ca.pem } : {}),
      ...(apiProxyUrl !== undefined ? { apiProxyUrl } : {}),
      proxyVariables,
      proxyDescription: proxyInUse(apiProxyUrl, proxyVariables),
      pollSchedule: poll!.expression,
      pollDescription: poll!.description,
      pollMaxAgeMs: pollMaxAgeMs!,
      // Known whenever the schedule parsed.
      pollGapMs: gap!.ms,
      pollConcurrency: pollConcurrency!,
      pollSpread: pollSpread!,
      logLevel: logLevel!,
      accounts,
      ...(web ? { web } : {}),
      webEnableLifecycle: webEnableLifecycle!,
      configWatch: configWatch!,
      warnings: [...warnings, ...plainHttpWarnings(accounts)],
      numbers: numbers!,
    },
  };
}
