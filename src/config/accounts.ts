import { dirname, resolve } from 'node:path';
import type { Account } from './account';
import { parseApiSecret, readSecretFile } from './api-secret';
import { BASE_URL_FORM, baseUrlProblem, isPlainHttpToRemote, parseHttpUrl, withoutCredentials } from './http-url';
import { parseCurrency, parseLabels } from './account-info';
import type { Problems } from './problems';
import type { ConfigSources, Setting } from './sources';
import { parseYamlFile } from './yaml-file';

/** Accounts from the environment (one) or from the YAML accounts file (several). */

export const ACCOUNT_ENV = {
  key: 'ITNIO_API_KEY',
  secret: 'ITNIO_API_SECRET',
  secretFile: 'ITNIO_API_SECRET_FILE',
  name: 'ITNIO_ACCOUNT',
  threshold: 'ITNIO_LOW_BALANCE_THRESHOLD',
} as const;

const ACCOUNT_KEYS = [
  'name',
  'api_key',
  'api_secret',
  'api_secret_file',
  'low_balance_threshold',
  'base_url',
  'numbers',
  'currency',
  'labels',
] as const;
// At least one letter or digit: ".", ".." and "-" read as paths or options wherever a name is shown.
const NAME_RE = /^[a-zA-Z0-9_.-]*[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const NAME_FORM = 'letters, digits, "_", "." or "-", with at least one letter or digit';
const HEADER_TOKEN_RE = /^[\x21-\x7e]+$/;
const DECIMAL_RE = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/;

/**
 * The accounts of --config.file when it is given, else the one of the environment. Accounts
 * without base_url use `defaultBaseUrl` (--api.base-url).
 */
export function parseAccounts(
  configFile: Setting | undefined,
  defaultBaseUrl: string,
  sources: ConfigSources,
  problems: Problems,
): Account[] {
  return configFile
    ? accountsFromFile(configFile.value, configFile.source, defaultBaseUrl, sources, problems)
    : accountFromEnv(defaultBaseUrl, sources, problems);
}

const PLAIN_HTTP_RISK = 'signed requests and balances cross the network unencrypted';

/** Valid, but worth a log line at start-up and on reload. */
export function plainHttpWarnings(accounts: readonly Account[]): string[] {
  return accounts
    .filter((a) => isPlainHttpToRemote(a.baseUrl))
    .map((a) => `account ${a.name}: base URL is plain http: ${PLAIN_HTTP_RISK}`);
}

/**
 * Refuses a value, quoting a scalar back; a mapping or list is named by its kind (String() gives
 * "[object Object]", and throws for a mapping with a "toString" key).
 */
function refuseValue(
  problems: Problems,
  where: string,
  value: unknown,
  expected: string,
  show: (text: string) => { shown: string; why?: string } = (text) => ({ shown: text }),
): void {
  if (typeof value === 'object' && value !== null) {
    problems.add(`${where}: ${Array.isArray(value) ? 'a list' : 'a mapping'} is not valid; expected ${expected}`);
    return;
  }
  const { shown, why } = show(String(value));
  problems.invalid(where, shown, expected, why);
}

function checkApiKey(key: string, source: string, problems: Problems): void {
  if (!HEADER_TOKEN_RE.test(key)) {
    problems.add(`${source}: the API key must be non-empty printable ASCII without spaces`);
  }
}

function parseThreshold(value: unknown, source: string, problems: Problems): number | undefined {
  if (value === undefined) return undefined;
  const parsed =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && DECIMAL_RE.test(value.trim())
        ? Number(value)
        : NaN;
  if (!Number.isFinite(parsed)) {
    refuseValue(problems, source, value, 'a decimal number such as 100 or 12.5');
    return undefined;
  }
  return parsed;
}

function accountFromEnv(baseUrl: string, sources: ConfigSources, problems: Problems): Account[] {
  const env = sources.env;
  const key = env[ACCOUNT_ENV.key];
  if (!key) {
    problems.add(
      `no account configured: set ${ACCOUNT_ENV.key} and ${ACCOUNT_ENV.secret} or ${ACCOUNT_ENV.secretFile}, ` +
        'or give --config.file',
    );
    return [];
  }
  checkApiKey(key, ACCOUNT_ENV.key, problems);
  const inline = env[ACCOUNT_ENV.secret];
  const file = env[ACCOUNT_ENV.secretFile];
  let secret: string | undefined;
  if (inline && file) problems.add(`${ACCOUNT_ENV.secret} and ${ACCOUNT_ENV.secretFile} are both set; set only one`);
  else if (file) secret = readSecretFile(file, file, ACCOUNT_ENV.secretFile, ACCOUNT_ENV.secret, sources, problems);
  else if (inline) secret = parseApiSecret(inline, ACCOUNT_ENV.secret, problems);
  else problems.add(`${ACCOUNT_ENV.key} is set but no secret: set ${ACCOUNT_ENV.secret} or ${ACCOUNT_ENV.secretFile}`);

  const name = env[ACCOUNT_ENV.name] || 'default';
  if (!NAME_RE.test(name)) problems.invalid(ACCOUNT_ENV.name, name, NAME_FORM);
  const threshold = parseThreshold(env[ACCOUNT_ENV.threshold] || undefined, ACCOUNT_ENV.threshold, problems);
  return [
    {
      name,
      apiKey: key,
      apiSecret: secret ?? '',
      baseUrl,
      ...(threshold !== undefined ? { lowBalanceThreshold: threshold } : {}),
    },
  ];
}

/** The `accounts` list of the YAML file, or undefined after recording why there is none. */
function readAccountList(
  file: string,
  source: string,
  sources: ConfigSources,
  problems: Problems,
): unknown[] | undefined {
  for (const name of Object.values(ACCOUNT_ENV)) {
    if (sources.env[name]) problems.add(`${name} is set together with ${source}; configure accounts in one place`);
  }
  const text = problems.readFile(sources.readFile, file, source, 'a readable YAML file');
  if (text === undefined) return undefined;
  const parsed = parseYamlFile(file, text);
  if (!parsed.ok) {
    for (const problem of parsed.problems) problems.add(problem);
    return undefined;
  }
  const root = parsed.data;
  if (typeof root !== 'object' || root === null || Array.isArray(root)) {
    problems.add(`${file}: expected a mapping with the key "accounts"`);
    return undefined;
  }
  for (const key of Object.keys(root)) {
    if (key !== 'accounts') problems.add(`${file}: unknown key "${key}"; expected only "accounts"`);
  }
  const list = (root as Record<string, unknown>).accounts;
  if (!Array.isArray(list) || list.length === 0) {
    problems.add(`${file}: "accounts" must be a non-empty list of accounts`);
    return undefined;
  }
  return list;
}

function accountsFromFile(
  file: string,
  source: string,
  defaultBaseUrl: string,
  sources: ConfigSources,
  problems: Problems,
): Account[] {
  const list = readAccountList(file, source, sources, problems);
  if (!list) return [];
  const accounts: Account[] = [];
  const seen = new Set<string>();
  list.forEach((entry: unknown, index) => {
    const at = `${file}: accounts[${index}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      problems.add(`${at}: expected a mapping with keys ${ACCOUNT_KEYS.join(', ')}`);
      return;
    }
    const context: EntryContext = { file, at, defaultBaseUrl, sources, problems };
    accounts.push(accountFromEntry(entry as Record<string, unknown>, index, seen, context));
  });
  return accounts;
}

interface EntryContext {
  file: string;
  /** `FILE: accounts[i]`, the prefix of every problem with this entry. */
  at: string;
  defaultBaseUrl: string;
  sources: ConfigSources;
  problems: Problems;
}

function accountFromEntry(
  item: Record<string, unknown>,
  index: number,
  seen: Set<string>,
  context: EntryContext,
): Account {
  const { at, problems } = context;
  for (const key of Object.keys(item)) {
    if (!(ACCOUNT_KEYS as readonly string[]).includes(key)) {
      problems.add(`${at}.${key}: unknown key; expected one of ${ACCOUNT_KEYS.join(', ')}`);
    }
  }
  const name = item.name;
  if (typeof name !== 'string' || !NAME_RE.test(name)) {
    problems.add(`${at}.name: expected a unique name of ${NAME_FORM}`);
  } else if (seen.has(name.toLowerCase())) {
    // Names that differ only in case would be one account to a reader, two series to Prometheus.
    problems.add(
      `${at}.name: "${name}" is used by an earlier account (names are compared ignoring case); names must be unique`,
    );
  } else seen.add(name.toLowerCase());

  const apiKey = item.api_key;
  if (typeof apiKey !== 'string') {
    problems.add(`${at}.api_key: expected the API key as a string (quote it if it is all digits)`);
  } else checkApiKey(apiKey, `${at}.api_key`, problems);

  // Problems are reported in this order: secret, base URL, threshold, then the keys issue 18 added.
  const secret = secretOfEntry(item, context);
  const baseUrl = baseUrlOfEntry(item, context);
  const threshold = parseThreshold(item.low_balance_threshold ?? undefined, `${at}.low_balance_threshold`, problems);
  const numbers = parseNumbersSwitch(item.numbers, `${at}.numbers`, problems);
  const currency = parseCurrency(item.currency, `${at}.currency`, problems);
  const labels = parseLabels(item.labels, `${at}.labels`, problems);
  return {
    name: typeof name === 'string' ? name : `#${index}`,
    apiKey: typeof apiKey === 'string' ? apiKey : '',
    apiSecret: secret ?? '',
    baseUrl,
    ...(threshold !== undefined ? { lowBalanceThreshold: threshold } : {}),
    ...(numbers !== undefined ? { numbers } : {}),
    ...(currency !== undefined ? { currency } : {}),
    ...(labels !== undefined ? { labels } : {}),
  };
}

function secretOfEntry(
  item: Record<string, unknown>,
  { file, at, sources, problems }: EntryContext,
): string | undefined {
  const inline = item.api_secret;
  const secretFile = item.api_secret_file;
  if (inline !== undefined && secretFile !== undefined) {
    problems.add(`${at}: api_secret and api_secret_file are both set; set only one`);
  } else if (secretFile !== undefined) {
    if (typeof secretFile !== 'string' || secretFile === '') {
      problems.add(`${at}.api_secret_file: expected a path to a file holding the secret`);
    } else {
      // Relative to the config file, as exporter-toolkit resolves web config paths.
      const path = resolve(dirname(file), secretFile);
      return readSecretFile(path, secretFile, `${at}.api_secret_file`, 'api_secret', sources, problems);
    }
  } else if (inline !== undefined) {
    if (typeof inline !== 'string' || inline === '') {
      problems.add(`${at}.api_secret: expected the API secret as a non-empty string`);
    } else return parseApiSecret(inline, `${at}.api_secret`, problems);
  } else problems.add(`${at}: missing api_secret_file (or api_secret)`);
  return undefined;
}

function baseUrlOfEntry(item: Record<string, unknown>, { at, defaultBaseUrl, problems }: EntryContext): string {
  if (item.base_url === undefined) return defaultBaseUrl;
  if (typeof item.base_url === 'string' && parseHttpUrl(item.base_url)) return item.base_url;
  refuseValue(problems, `${at}.base_url`, item.base_url, BASE_URL_FORM, (text) => ({
    shown: withoutCredentials(text),
    why: baseUrlProblem(text),
  }));
  return defaultBaseUrl;
}

/** `numbers: false` opts one account out of --collector.numbers. */
function parseNumbersSwitch(value: unknown, source: string, problems: Problems): boolean | undefined {
  if (value === undefined || typeof value === 'boolean') return value;
  refuseValue(problems, source, value, 'true or false (false opts this account out of --collector.numbers)');
  return undefined;
}
