import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import cron from 'node-cron';
import type { Account } from './account';
import { DURATION_FORM, formatDuration, parseDuration } from './duration';
import { EVEN_INTERVALS_HELP, intervalToCron, longestGapMs, MAX_POLL_INTERVAL_MS, MIN_POLL_INTERVAL_MS } from './schedule';
import { loadWebConfig, type WebConfig } from './web/web-config';
import { parseYamlFile } from './yaml-file';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface ListenAddress {
  /** Empty means every interface. */
  host: string;
  port: number;
}

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

/** Every problem found in the configuration, each naming its flag, variable or file key. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

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

export const ACCOUNT_ENV = {
  key: 'ITNIO_API_KEY',
  secret: 'ITNIO_API_SECRET',
  secretFile: 'ITNIO_API_SECRET_FILE',
  name: 'ITNIO_ACCOUNT',
  threshold: 'ITNIO_LOW_BALANCE_THRESHOLD',
} as const;

/** Paths the exporter serves itself; the telemetry path may not take one. */
const RESERVED_PATHS = ['/healthz', '/readyz', '/api/v1/status', '/-/reload'];

const ACCOUNT_KEYS = ['name', 'api_key', 'api_secret', 'api_secret_file', 'low_balance_threshold', 'base_url'] as const;
const NAME_RE = /^[a-zA-Z0-9_.-]+$/;
const HEADER_TOKEN_RE = /^[\x21-\x7e]+$/;
const DECIMAL_RE = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/;

export interface ConfigSources {
  argv: readonly string[];
  env: Readonly<Record<string, string | undefined>>;
  readFile: (path: string) => string;
}

/** A value and where it came from, so a problem can name the right flag or variable. */
interface Setting {
  value: string;
  source: string;
}

export function parseListenAddress(text: string): ListenAddress | undefined {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]*)):(\d{1,5})$/.exec(text.trim());
  if (!match) return undefined;
  const port = Number(match[3]);
  if (port > 65535) return undefined;
  return { host: match[1] ?? match[2] ?? '', port };
}

function isPlainHttpToRemote(baseUrl: string): boolean {
  const url = new URL(baseUrl);
  return url.protocol === 'http:' && !['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
}

/** A refused URL as it may be quoted back: any user:password part is masked. */
function withoutCredentials(text: string): string {
  return text.replace(/\/\/[^/@\s]*@/g, '//***@');
}

function parseHttpUrl(text: string): URL | undefined {
  try {
    const url = new URL(text);
    if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.username || url.password) return undefined;
    return url;
  } catch {
    return undefined;
  }
}

/** String(value), which throws for a YAML mapping that has a "toString" key. */
function showValue(value: unknown): string {
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

export function loadConfig(sources: ConfigSources): CliCommand {
  const problems: string[] = [];
  const options = Object.fromEntries([
    ...FLAGS.map((f) => [f.flag, { type: f.boolean ? ('boolean' as const) : ('string' as const) }]),
    ...MODE_FLAGS.map((f) => [f.flag, { type: 'boolean' as const }]),
  ]);
  const { values, positionals } = parseArgs({ args: [...sources.argv], options, strict: false, allowPositionals: true });

  for (const positional of positionals) problems.push(`unexpected argument "${positional}"; flags look like --name=value`);
  for (const [name, value] of Object.entries(values)) {
    const isValueFlag = FLAGS.some((f) => f.flag === name && !f.boolean);
    const isBooleanFlag = FLAGS.some((f) => f.flag === name && f.boolean);
    const isModeFlag = MODE_FLAGS.some((f) => f.flag === name);
    if (isBooleanFlag) continue;
    if (!isValueFlag && !isModeFlag) {
      problems.push(
        /secret|key|password|token/i.test(name)
          ? `--${name}: secrets are not accepted as flags (they would show in ps); use ${ACCOUNT_ENV.key} with ${ACCOUNT_ENV.secretFile}, or --config.file`
          : `unknown flag --${name}; see --help`,
      );
    } else if (isValueFlag && typeof value !== 'string') {
      problems.push(`--${name} needs a value: ${FLAGS.find((f) => f.flag === name)?.form}`);
    } else if (isModeFlag && typeof value !== 'boolean') {
      problems.push(`--${name} takes no value`);
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
    problems.push(`${s.source}: "${s.value}" is not valid; expected ${form(flag)}`);
  };

  const listenSetting = setting('web.listen-address') as Setting;
  const listen = parseListenAddress(listenSetting.value);
  if (!listen) bad(listenSetting, 'web.listen-address');

  const pathSetting = setting('web.telemetry-path') as Setting;
  const telemetryPath = pathSetting.value;
  // A plain literal path: the server matches it exactly, as a route pattern it could shadow others.
  if (!/^(?:\/[A-Za-z0-9._~-]+)+$/.test(telemetryPath)) bad(pathSetting, 'web.telemetry-path');
  else if (RESERVED_PATHS.includes(telemetryPath.toLowerCase())) {
    problems.push(`${pathSetting.source}: "${telemetryPath}" is taken by the exporter itself; choose another path such as /metrics`);
  }

  const baseSetting = setting('api.base-url') as Setting;
  if (!parseHttpUrl(baseSetting.value)) {
    problems.push(`${baseSetting.source}: "${withoutCredentials(baseSetting.value)}" is not valid; expected ${form('api.base-url')}`);
  }

  const timeoutSetting = setting('api.timeout') as Setting;
  const apiTimeoutMs = parseDuration(timeoutSetting.value);
  if (apiTimeoutMs === undefined || apiTimeoutMs < 100 || apiTimeoutMs > 300_000) bad(timeoutSetting, 'api.timeout');

  const caSetting = setting('api.ca-file');
  if (caSetting) {
    try {
      sources.readFile(caSetting.value);
    } catch (error) {
      problems.push(`${caSetting.source}: cannot read "${caSetting.value}" (${(error as NodeJS.ErrnoException).code ?? 'error'}); expected ${form('api.ca-file')}`);
    }
  }

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
      if ('error' in cronResult) problems.push(`${intervalSetting.source}: ${cronResult.error} (--poll.schedule)`);
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
    problems.push(
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
    for (const problem of result.problems) problems.push(`${webSetting.source}: ${problem}`);
    web = result.config;
  }

  const fileSetting = setting('config.file');
  const accounts = fileSetting
    ? accountsFromFile(fileSetting, baseSetting.value, sources, problems)
    : accountFromEnv(baseSetting.value, sources, problems);

  if (problems.length > 0) throw new ConfigError(problems);
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

function readSecretFile(path: string, source: string, sources: ConfigSources, problems: string[]): string | undefined {
  let text: string;
  try {
    text = sources.readFile(path);
  } catch (error) {
    problems.push(`${source}: cannot read secret file "${path}" (${(error as NodeJS.ErrnoException).code ?? 'error'}); expected a readable file holding the API secret`);
    return undefined;
  }
  const secret = text.trim();
  if (secret === '') problems.push(`${source}: secret file "${path}" is empty; expected the API secret`);
  return secret;
}

function checkApiKey(key: string, source: string, problems: string[]): void {
  if (!HEADER_TOKEN_RE.test(key)) problems.push(`${source}: the API key must be non-empty printable ASCII without spaces`);
}

function parseThreshold(value: unknown, source: string, problems: string[]): number | undefined {
  if (value === undefined) return undefined;
  const parsed = typeof value === 'number' ? value : typeof value === 'string' && DECIMAL_RE.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isFinite(parsed)) {
    problems.push(`${source}: "${showValue(value)}" is not valid; expected a decimal number such as 100 or 12.5`);
    return undefined;
  }
  return parsed;
}

function accountFromEnv(baseUrl: string, sources: ConfigSources, problems: string[]): Account[] {
  const env = sources.env;
  const key = env[ACCOUNT_ENV.key];
  if (!key) {
    problems.push(`no account configured: set ${ACCOUNT_ENV.key} and ${ACCOUNT_ENV.secret} or ${ACCOUNT_ENV.secretFile}, or give --config.file`);
    return [];
  }
  checkApiKey(key, ACCOUNT_ENV.key, problems);
  const inline = env[ACCOUNT_ENV.secret];
  const file = env[ACCOUNT_ENV.secretFile];
  let secret: string | undefined;
  if (inline && file) problems.push(`${ACCOUNT_ENV.secret} and ${ACCOUNT_ENV.secretFile} are both set; set only one`);
  else if (file) secret = readSecretFile(file, ACCOUNT_ENV.secretFile, sources, problems);
  else if (inline) secret = inline;
  else problems.push(`${ACCOUNT_ENV.key} is set but no secret: set ${ACCOUNT_ENV.secret} or ${ACCOUNT_ENV.secretFile}`);

  const name = env[ACCOUNT_ENV.name] || 'default';
  if (!NAME_RE.test(name)) problems.push(`${ACCOUNT_ENV.name}: "${name}" is not valid; expected letters, digits, "_", "." or "-"`);
  const threshold = parseThreshold(env[ACCOUNT_ENV.threshold] || undefined, ACCOUNT_ENV.threshold, problems);
  return [{ name, apiKey: key, apiSecret: secret ?? '', baseUrl, ...(threshold !== undefined ? { lowBalanceThreshold: threshold } : {}) }];
}

function accountsFromFile(fileSetting: Setting, defaultBaseUrl: string, sources: ConfigSources, problems: string[]): Account[] {
  const file = fileSetting.value;
  for (const name of Object.values(ACCOUNT_ENV)) {
    if (sources.env[name]) problems.push(`${name} is set together with ${fileSetting.source}; configure accounts in one place`);
  }
  let text: string;
  try {
    text = sources.readFile(file);
  } catch (error) {
    problems.push(`${fileSetting.source}: cannot read "${file}" (${(error as NodeJS.ErrnoException).code ?? 'error'}); expected a readable YAML file`);
    return [];
  }
  const parsed = parseYamlFile(file, text);
  if (!parsed.ok) {
    problems.push(...parsed.problems);
    return [];
  }
  const root = parsed.data;
  if (typeof root !== 'object' || root === null || Array.isArray(root)) {
    problems.push(`${file}: expected a mapping with the key "accounts"`);
    return [];
  }
  for (const key of Object.keys(root)) {
    if (key !== 'accounts') problems.push(`${file}: unknown key "${key}"; expected only "accounts"`);
  }
  const list = (root as Record<string, unknown>).accounts;
  if (!Array.isArray(list) || list.length === 0) {
    problems.push(`${file}: "accounts" must be a non-empty list of accounts`);
    return [];
  }
  const accounts: Account[] = [];
  const seen = new Set<string>();
  list.forEach((entry: unknown, index) => {
    const at = `${file}: accounts[${index}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      problems.push(`${at}: expected a mapping with keys ${ACCOUNT_KEYS.join(', ')}`);
      return;
    }
    const item = entry as Record<string, unknown>;
    for (const key of Object.keys(item)) {
      if (!(ACCOUNT_KEYS as readonly string[]).includes(key)) problems.push(`${at}.${key}: unknown key; expected one of ${ACCOUNT_KEYS.join(', ')}`);
    }
    const name = item.name;
    if (typeof name !== 'string' || !NAME_RE.test(name)) {
      problems.push(`${at}.name: expected a unique name of letters, digits, "_", "." or "-"`);
    } else if (seen.has(name)) {
      problems.push(`${at}.name: "${name}" is used by an earlier account; names must be unique`);
    } else seen.add(name);

    const apiKey = item.api_key;
    if (typeof apiKey !== 'string') problems.push(`${at}.api_key: expected the API key as a string (quote it if it is all digits)`);
    else checkApiKey(apiKey, `${at}.api_key`, problems);

    let secret: string | undefined;
    const inline = item.api_secret;
    const secretFile = item.api_secret_file;
    if (inline !== undefined && secretFile !== undefined) problems.push(`${at}: api_secret and api_secret_file are both set; set only one`);
    else if (secretFile !== undefined) {
      if (typeof secretFile !== 'string' || secretFile === '') problems.push(`${at}.api_secret_file: expected a path to a file holding the secret`);
      // Relative to the config file, as exporter-toolkit resolves web config paths.
      else secret = readSecretFile(resolve(dirname(file), secretFile), `${at}.api_secret_file`, sources, problems);
    } else if (inline !== undefined) {
      if (typeof inline !== 'string' || inline === '') problems.push(`${at}.api_secret: expected the API secret as a non-empty string`);
      else secret = inline;
    } else problems.push(`${at}: missing api_secret_file (or api_secret)`);

    let baseUrl = defaultBaseUrl;
    if (item.base_url !== undefined) {
      if (typeof item.base_url !== 'string' || !parseHttpUrl(item.base_url)) {
        problems.push(`${at}.base_url: "${withoutCredentials(showValue(item.base_url))}" is not valid; expected an http(s) URL without credentials`);
      } else baseUrl = item.base_url;
    }
    const threshold = parseThreshold(item.low_balance_threshold ?? undefined, `${at}.low_balance_threshold`, problems);
    accounts.push({
      name: typeof name === 'string' ? name : `#${index}`,
      apiKey: typeof apiKey === 'string' ? apiKey : '',
      apiSecret: secret ?? '',
      baseUrl,
      ...(threshold !== undefined ? { lowBalanceThreshold: threshold } : {}),
    });
  });
  return accounts;
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
