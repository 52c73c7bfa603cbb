import { parseArgs } from 'node:util';
import cron from 'node-cron';
import type { Account } from './account';
import { ACCOUNT_ENV, accountFromEnv, accountsFromFile } from './accounts';
import { isPlainHttpToRemote, parseHttpUrl, withoutCredentials } from './http-url';
import { parseListenAddress, type ListenAddress } from './listen-address';
import { DURATION_FORM, formatDuration, parseDuration } from './duration';
import { EVEN_INTERVALS_HELP, intervalToCron, longestGapMs, MAX_POLL_INTERVAL_MS, MIN_POLL_INTERVAL_MS } from './schedule';
import { loadWebConfig, type WebConfig } from './web-config';
import { LOG_LEVELS, type LogLevel } from '../log/levels';
import type { ConfigSources } from './sources';
import { ConfigError, Problems } from './problems';

export { ACCOUNT_ENV, ConfigError, LOG_LEVELS, parseListenAddress, type ConfigSources, type ListenAddress, type LogLevel };



export interface ExporterConfig {
  listen: ListenAddress;
  telemetryPath: string;
  configFile?: string;
  apiTimeoutMs: number;
  caFile?: string;
  /** Six-field node-cron expression the poller runs on. */
  pollSchedule: string;
  /** Human words for the schedule, used in HELP strings and logs ("every 60s"). */
  pollDescription: string;
  pollMaxAgeMs: number;
  pollConcurrency: number;
  logLevel: LogLevel;
  accounts: Account[];
  /** TLS and basic auth for the exporter's own endpoints, from --web.config.file. */
  web?: WebConfig;
  /** POST /-/reload re-reads the configuration. */
  webEnableLifecycle: boolean;
  /** Valid but worth a log line at start-up and on reload (never a secret). */
  warnings: string[];
}

export type CliCommand =
  | { kind: 'help' }
  | { kind: 'version' }
  | { kind: 'run'; config: ExporterConfig; mode: 'serve' | 'check' | 'config-check' };

interface FlagSpec {
  flag: string;
  env?: string;
  default?: string;
  form: string;
  help: string;
  /** Given bare (--flag) or as true/false. */
  boolean?: true;
}

export const FLAGS: readonly FlagSpec[] = [
  { flag: 'web.listen-address', env: 'ITNIO_LISTEN_ADDRESS', default: ':10042', form: 'host:port, :port or [ipv6]:port', help: 'Address to serve /metrics and the status page on.' },
  { flag: 'web.config.file', env: 'ITNIO_WEB_CONFIG_FILE', form: 'a path to a Prometheus exporter-toolkit web config YAML file', help: 'Web config file enabling TLS and/or basic auth (Prometheus exporter-toolkit format).' },
  { flag: 'web.enable-lifecycle', env: 'ITNIO_WEB_ENABLE_LIFECYCLE', default: 'false', form: 'true or false', help: 'Enable POST /-/reload to re-read the configuration (as SIGHUP does).', boolean: true },
  { flag: 'web.telemetry-path', env: 'ITNIO_TELEMETRY_PATH', default: '/metrics', form: 'a path of /-separated segments of letters, digits, ".", "_", "~" or "-", such as /metrics', help: 'Path under which to expose metrics.' },
  { flag: 'config.file', env: 'ITNIO_CONFIG_FILE', form: 'a path to a YAML file', help: 'YAML file listing the accounts to poll.' },
  { flag: 'api.base-url', env: 'ITNIO_BASE_URL', default: 'https://api.itniotech.com/sms', form: 'an http(s) URL without credentials', help: 'ITNIO API base URL; /getBalance is appended.' },
  { flag: 'api.timeout', env: 'ITNIO_API_TIMEOUT', default: '10s', form: `${DURATION_FORM}, from 100ms to 5m`, help: 'Time limit for one getBalance request, body included.' },
  { flag: 'api.ca-file', env: 'ITNIO_API_CA_FILE', form: 'a path to a PEM file', help: 'Extra CA certificates to trust for the API (TLS is always verified).' },
  { flag: 'poll.interval', env: 'ITNIO_POLL_INTERVAL', default: '60s', form: `a duration from 1s to 24h that cron fires evenly: ${EVEN_INTERVALS_HELP}`, help: 'How often to poll every account.' },
  { flag: 'poll.schedule', env: 'ITNIO_POLL_SCHEDULE', form: 'a cron expression with 5 or 6 fields, e.g. "*/30 * * * * *"', help: 'Cron schedule for polls; overrides --poll.interval.' },
  { flag: 'poll.max-age', env: 'ITNIO_POLL_MAX_AGE', default: '1h', form: `${DURATION_FORM}, at least 1s and the poll interval`, help: 'After failed polls, keep the last good balance this long, then drop its series.' },
  { flag: 'poll.concurrency', env: 'ITNIO_POLL_CONCURRENCY', default: '4', form: 'a whole number from 1 to 64', help: 'Most getBalance requests in flight at once.' },
  { flag: 'log.level', env: 'ITNIO_LOG_LEVEL', default: 'info', form: LOG_LEVELS.join(', '), help: 'Log level.' },
];

export const MODE_FLAGS = [
  { flag: 'check', help: 'Poll each account once, print the result, exit 0 if all succeeded, 1 otherwise.' },
  { flag: 'config.check', help: 'Validate the configuration and exit.' },
  { flag: 'help', help: 'Show this help and exit.' },
  { flag: 'version', help: 'Show the version and exit.' },
] as const;

/** Paths the exporter serves itself; the telemetry path may not take one. */
const RESERVED_PATHS = ['/healthz', '/readyz', '/api/v1/status', '/-/reload'];


/** A value and where it came from, so a problem can name the right flag or variable. */
interface Setting {
  value: string;
  source: string;
}


export function loadConfig(sources: ConfigSources): CliCommand {
  const problems = new Problems();
  const options = Object.fromEntries([
    ...FLAGS.map((f) => [f.flag, { type: f.boolean ? ('boolean' as const) : ('string' as const) }]),
    ...MODE_FLAGS.map((f) => [f.flag, { type: 'boolean' as const }]),
  ]);
  const { values, positionals } = parseArgs({ args: [...sources.argv], options, strict: false, allowPositionals: true });

  // Not quoted: after a refused "--api.secret VALUE" the value arrives here, and may be a secret.
  if (positionals.length > 0) {
    problems.add(`${positionals.length} unexpected argument(s) that are not flags (not shown, as they may hold a secret); flags look like --name=value`);
  }
  for (const [name, value] of Object.entries(values)) {
    const isValueFlag = FLAGS.some((f) => f.flag === name && !f.boolean);
    const isBooleanFlag = FLAGS.some((f) => f.flag === name && f.boolean);
    const isModeFlag = MODE_FLAGS.some((f) => f.flag === name);
    if (isBooleanFlag) continue;
    if (!isValueFlag && !isModeFlag) {
      problems.add(
        /secret|key|password|token/i.test(name)
          ? `--${name}: secrets are not accepted as flags (they would show in ps); use ${ACCOUNT_ENV.key} with ${ACCOUNT_ENV.secretFile}, or --config.file`
          : `unknown flag --${name}; see --help`,
      );
    } else if (isValueFlag && typeof value !== 'string') {
      problems.add(`--${name} needs a value: ${FLAGS.find((f) => f.flag === name)?.form}`);
    } else if (isModeFlag && typeof value !== 'boolean') {
      problems.add(`--${name} takes no value`);
    }
  }
  if (values.help === true) return { kind: 'help' };
  if (values.version === true) return { kind: 'version' };

  const setting = (flag: string): Setting | undefined => {
    const spec = FLAGS.find((f) => f.flag === flag) as FlagSpec;
    const fromFlag = values[flag];
    if (typeof fromFlag === 'string') return { value: fromFlag, source: `--${flag}` };
    if (fromFlag === true && spec.boolean) return { value: 'true', source: `--${flag}` };
    const fromEnv = spec.env ? sources.env[spec.env] : undefined;
    if (fromEnv !== undefined && fromEnv !== '') return { value: fromEnv, source: spec.env as string };
    if (spec.default !== undefined) return { value: spec.default, source: `--${flag} (default)` };
    return undefined;
  };
  const form = (flag: string): string => (FLAGS.find((f) => f.flag === flag) as FlagSpec).form;
  const bad = (s: Setting, flag: string): void => {
    problems.invalid(s.source, s.value, form(flag));
  };

  const listenSetting = setting('web.listen-address') as Setting;
  const listen = parseListenAddress(listenSetting.value);
  if (!listen) bad(listenSetting, 'web.listen-address');

  const pathSetting = setting('web.telemetry-path') as Setting;
  const telemetryPath = pathSetting.value;
  // A plain literal path: the server matches it exactly, as a route pattern it could shadow others.
  if (!/^(?:\/[A-Za-z0-9._~-]+)+$/.test(telemetryPath)) bad(pathSetting, 'web.telemetry-path');
  else if (RESERVED_PATHS.includes(telemetryPath.toLowerCase())) {
    problems.add(`${pathSetting.source}: "${telemetryPath}" is taken by the exporter itself; choose another path such as /metrics`);
  }

  const baseSetting = setting('api.base-url') as Setting;
  if (!parseHttpUrl(baseSetting.value)) {
    problems.invalid(baseSetting.source, withoutCredentials(baseSetting.value), form('api.base-url'));
  }

  const timeoutSetting = setting('api.timeout') as Setting;
  const apiTimeoutMs = parseDuration(timeoutSetting.value);
  if (apiTimeoutMs === undefined || apiTimeoutMs < 100 || apiTimeoutMs > 300_000) bad(timeoutSetting, 'api.timeout');

  const caSetting = setting('api.ca-file');
  if (caSetting) problems.readFile(sources.readFile, caSetting.value, caSetting.source, form('api.ca-file'));

  let pollSchedule = '';
  let pollDescription = '';
  let intervalMs: number | undefined;
  const scheduleSetting = setting('poll.schedule');
  if (scheduleSetting) {
    const expression = scheduleSetting.value.trim();
    if (!cron.validate(expression)) bad(scheduleSetting, 'poll.schedule');
    pollSchedule = expression;
    pollDescription = `on cron schedule "${expression}"`;
  } else {
    const intervalSetting = setting('poll.interval') as Setting;
    intervalMs = parseDuration(intervalSetting.value);
    if (intervalMs === undefined || intervalMs < MIN_POLL_INTERVAL_MS || intervalMs > MAX_POLL_INTERVAL_MS) {
      bad(intervalSetting, 'poll.interval');
    } else {
      const cronResult = intervalToCron(intervalMs);
      if ('error' in cronResult) problems.add(`${intervalSetting.source}: ${cronResult.error} (--poll.schedule)`);
      else {
        pollSchedule = cronResult.expression;
        pollDescription = `every ${formatDuration(intervalMs)}`;
      }
    }
  }

  const maxAgeSetting = setting('poll.max-age') as Setting;
  const pollMaxAgeMs = parseDuration(maxAgeSetting.value);
  // The longest wait between two polls: balances must not expire while the next one is due.
  const periodMs = intervalMs ?? (pollSchedule !== '' && cron.validate(pollSchedule) ? longestGapMs(pollSchedule) : undefined);
  if (pollMaxAgeMs === undefined || pollMaxAgeMs < 1000) bad(maxAgeSetting, 'poll.max-age');
  else if (periodMs !== undefined && pollMaxAgeMs < periodMs) {
    problems.add(
      `${maxAgeSetting.source}: "${maxAgeSetting.value}" is shorter than the ${intervalMs !== undefined ? 'poll interval' : 'longest gap between scheduled polls'} ${formatDuration(periodMs)}; balances would vanish between polls`,
    );
  }

  const concurrencySetting = setting('poll.concurrency') as Setting;
  const pollConcurrency = Number(concurrencySetting.value);
  if (!/^\d+$/.test(concurrencySetting.value) || pollConcurrency < 1 || pollConcurrency > 64) bad(concurrencySetting, 'poll.concurrency');

  const levelSetting = setting('log.level') as Setting;
  if (!(LOG_LEVELS as readonly string[]).includes(levelSetting.value)) bad(levelSetting, 'log.level');

  const lifecycleSetting = setting('web.enable-lifecycle') as Setting;
  const webEnableLifecycle = lifecycleSetting.value === 'true';
  if (!['true', 'false'].includes(lifecycleSetting.value)) bad(lifecycleSetting, 'web.enable-lifecycle');

  const webSetting = setting('web.config.file');
  let web: WebConfig | undefined;
  if (webSetting) {
    const result = loadWebConfig(webSetting.value, sources.readFile);
    for (const problem of result.problems) problems.add(`${webSetting.source}: ${problem}`);
    web = result.config;
  }

  const fileSetting = setting('config.file');
  const accounts = fileSetting
    ? accountsFromFile(fileSetting.value, fileSetting.source, baseSetting.value, sources, problems)
    : accountFromEnv(baseSetting.value, sources, problems);

  problems.throwIfAny();
  const warnings = accounts
    .filter((a) => isPlainHttpToRemote(a.baseUrl))
    .map((a) => `account ${a.name}: base URL is plain http: signed requests and balances cross the network unencrypted`);
  const mode = values.check === true ? 'check' : values['config.check'] === true ? 'config-check' : 'serve';
  return {
    kind: 'run',
    mode,
    config: {
      listen: listen as ListenAddress,
      telemetryPath,
      ...(fileSetting ? { configFile: fileSetting.value } : {}),
      apiTimeoutMs: apiTimeoutMs as number,
      ...(caSetting ? { caFile: caSetting.value } : {}),
      pollSchedule,
      pollDescription,
      pollMaxAgeMs: pollMaxAgeMs as number,
      pollConcurrency,
      logLevel: levelSetting.value as LogLevel,
      accounts,
      ...(web ? { web } : {}),
      webEnableLifecycle,
      warnings,
    },
  };
}

export function helpText(): string {
  const lines = ['Usage: itniotech-exporter [flags]', '', 'Prometheus exporter for ITNIO Tech account balances.', '', 'Flags:'];
  for (const f of FLAGS) {
    lines.push(f.boolean ? `  --${f.flag}` : `  --${f.flag}=VALUE`);
    lines.push(`      ${f.help}${f.env ? ` [env ${f.env}]` : ''}${f.default && !f.boolean ? ` (default ${f.default})` : ''}`);
  }
  for (const f of MODE_FLAGS) lines.push(`  --${f.flag}`, `      ${f.help}`);
  lines.push(
    '',
    'One account without a file (secrets only from the environment or files, never flags):',
    `  ${ACCOUNT_ENV.key}, ${ACCOUNT_ENV.secret} or ${ACCOUNT_ENV.secretFile}, optional ${ACCOUNT_ENV.name} (default "default") and ${ACCOUNT_ENV.threshold}.`,
  );
  return lines.join('\n');
}
