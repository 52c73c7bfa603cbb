import { dirname } from 'node:path';
import { Problems } from './problems';
import { Fields, isMapping } from './web-fields';
import { http2CipherProblem, parseTls, tlsTurnedOn, type TlsSettings } from './web-tls';
import { parseYamlFile } from './yaml-file';

export type { ClientAuthType, TlsSettings } from './web-tls';

/**
 * The Prometheus exporter-toolkit web configuration file
 * (https://github.com/prometheus/exporter-toolkit/blob/master/docs/web-configuration.md),
 * so operators can reuse the file they give their Go exporters. docs/security.md lists what
 * differs from the toolkit.
 */

export interface RateLimit {
  /** Time for one token to come back into the bucket; 0 never reaches here (off). */
  intervalMs: number;
  /** Bucket size: requests allowed at once. 0 refuses every request, as in exporter-toolkit. */
  burst: number;
}

export interface WebConfig {
  file: string;
  tls?: TlsSettings;
  /** User name → bcrypt hash. Empty: no basic auth. */
  users: ReadonlyMap<string, string>;
  /** http_server_config.headers with a non-empty value, sent on every response. */
  headers: Readonly<Record<string, string>>;
  /** http_server_config.http2 as written (default true); the server speaks HTTP/1.1 either way. */
  http2: boolean;
  rateLimit?: RateLimit;
  /** Accepted but worth a log line at start-up and reload. */
  warnings: string[];
}

export interface WebConfigResult {
  config?: WebConfig;
  /** Each names the file and key; none holds a hash or key material. */
  problems: string[];
}

const TOP_KEYS = ['tls_server_config', 'http_server_config', 'rate_limit', 'basic_auth_users'];
const BCRYPT_RE = /^\$2[aby]\$(0[4-9]|[12]\d|3[01])\$[./A-Za-z0-9]{53}$/;
const BCRYPT_HINT = `make one with: htpasswd -nBC 10 "" | tr -d ':\\n'`;

/**
 * The headers exporter-toolkit lets a web config set (its handler.go), with the only values it
 * allows where it restricts them; an empty list means any value.
 */
const CONFIGURABLE_HEADERS: Readonly<Record<string, readonly string[]>> = {
  'Strict-Transport-Security': [],
  'X-Content-Type-Options': ['nosniff'],
  'X-Frame-Options': ['deny', 'sameorigin'],
  'X-XSS-Protection': [],
  'Content-Security-Policy': [],
};

/** Reads and checks a web config file; `readFile` reads it and the certificate files it names. */
export function loadWebConfig(
  file: string,
  readFile: (path: string) => string,
  env: NodeJS.ProcessEnv = process.env,
): WebConfigResult {
  const problems = new Problems();
  const warnings: string[] = [];
  const text = problems.readFile(readFile, file, file, 'a readable YAML file', 'the web config file');
  if (text === undefined) return { problems: problems.list };
  const parsed = parseYamlFile(file, text);
  if (!parsed.ok) return { problems: parsed.problems };
  const root: unknown = parsed.data ?? {};
  if (!isMapping(root)) {
    problems.add(`${file}: expected a mapping with the keys ${TOP_KEYS.join(', ')}`);
    return { problems: problems.list };
  }
  new Fields(file, root, problems).onlyKeys(TOP_KEYS);
  const tls = parseTls(root.tls_server_config, { file, baseDir: dirname(file), readFile, problems, warnings, env });
  const http = parseHttp(root.http_server_config, file, problems);
  const cipherProblem = http.http2 ? http2CipherProblem(tls, `${file}: tls_server_config`) : undefined;
  if (cipherProblem) problems.add(cipherProblem);
  const rateLimit = parseRateLimit(root.rate_limit, file, problems, warnings);
  const users = parseUsers(root.basic_auth_users, file, problems);
  if (users.size > 0 && !tls) {
    warnings.push(`${file}: basic_auth_users without tls_server_config: passwords cross the network in clear text`);
  }
  if (problems.count > 0) return { problems: problems.list };
  const config: WebConfig = { file, users, headers: http.headers, http2: http.http2, warnings };
  return { config: { ...config, ...(tls ? { tls } : {}), ...(rateLimit ? { rateLimit } : {}) }, problems: [] };
}

/**
 * Whether a web config (its parsed YAML) turns TLS on: the one decision the server and the
 * container health probe both take. `tls_server_config: {}`, or only min_version/max_version,
 * leaves plain HTTP.
 */
export function webConfigTurnsTlsOn(webConfig: unknown): boolean {
  return isMapping(webConfig) && tlsTurnedOn(webConfig.tls_server_config);
}

function parseHttp(
  value: unknown,
  file: string,
  problems: Problems,
): { headers: Record<string, string>; http2: boolean } {
  const at = `${file}: http_server_config`;
  const headers: Record<string, string> = {};
  if (value === undefined || value === null) return { headers, http2: true };
  if (!isMapping(value)) {
    problems.add(`${at}: expected a mapping with the keys http2, headers`);
    return { headers, http2: true };
  }
  const f = new Fields(at, value, problems);
  f.onlyKeys(['http2', 'headers']);
  const http2 = f.bool('http2', true);
  const given: unknown = value.headers;
  if (given === undefined || given === null) return { headers, http2 };
  if (!isMapping(given)) {
    problems.add(`${at}.headers: expected a mapping of header name to value`);
    return { headers, http2 };
  }
  for (const [name, raw] of Object.entries(given)) {
    const allowed = CONFIGURABLE_HEADERS[name];
    // YAML reads `X-XSS-Protection: 1` as a number; Go's decoder takes its text.
    const v = raw === null ? '' : typeof raw === 'object' ? undefined : String(raw);
    if (!Object.hasOwn(CONFIGURABLE_HEADERS, name) || allowed === undefined) {
      problems.add(
        `${at}.headers: HTTP header "${name}" can not be configured; expected ${Object.keys(CONFIGURABLE_HEADERS).join(', ')}`,
      );
    } else if (v === undefined) problems.add(`${at}.headers.${name}: expected a string`);
    else if (allowed.length > 0 && !allowed.includes(v))
      problems.invalid(`${at}.headers.${name}`, v, `one of ${allowed.join(', ')}`);
    else if (/[\r\n\0]/.test(v)) problems.add(`${at}.headers.${name}: a header value cannot hold a line break`);
    else if (v !== '') headers[name] = v;
  }
  return { headers, http2 };
}

const GO_DURATION_UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};
const GO_DURATION_RE = /^([0-9]*(?:\.[0-9]*)?)(ns|us|µs|μs|ms|s|m|h)/;

/** Go's time.ParseDuration, without a sign, in milliseconds; undefined when malformed. */
function parseGoDuration(text: string): number | undefined {
  if (text === '0') return 0;
  let rest = text;
  let total = 0;
  if (rest === '') return undefined;
  while (rest !== '') {
    const match = GO_DURATION_RE.exec(rest);
    if (!match || match[1] === '' || match[1] === '.') return undefined;
    total += Number(match[1]) * (GO_DURATION_UNIT_MS[match[2] as string] as number);
    rest = rest.slice(match[0].length);
  }
  return total;
}

function parseRateLimit(value: unknown, file: string, problems: Problems, warnings: string[]): RateLimit | undefined {
  const at = `${file}: rate_limit`;
  if (value === undefined || value === null) return undefined;
  if (!isMapping(value)) {
    problems.add(`${at}: expected a mapping with the keys interval, burst`);
    return undefined;
  }
  new Fields(at, value, problems).onlyKeys(['interval', 'burst']);
  const { interval, burst = 0 } = value;
  let intervalMs: number | undefined;
  if (interval === undefined || interval === null) intervalMs = 0;
  else if (typeof interval === 'number' && Number.isSafeInteger(interval) && interval >= 0) {
    // Go reads a bare number as nanoseconds.
    intervalMs = interval / 1e6;
    if (interval > 0)
      warnings.push(
        `${at}.interval: ${interval} is ${interval} nanoseconds, as in exporter-toolkit; write "${interval}s" for seconds`,
      );
  } else if (typeof interval === 'string') intervalMs = parseGoDuration(interval);
  if (intervalMs === undefined) {
    problems.add(`${at}.interval: expected a duration such as 1s, 500ms or 1m30s (0 turns the limit off)`);
  }
  if (typeof burst !== 'number' || !Number.isSafeInteger(burst) || burst < 0) {
    problems.add(`${at}.burst: expected a whole number of requests, 0 or more`);
    return undefined;
  }
  if (intervalMs === undefined || intervalMs === 0) return undefined;
  if (burst === 0) warnings.push(`${at}: burst 0 refuses every request with 429, as in exporter-toolkit`);
  return { intervalMs, burst };
}

function parseUsers(value: unknown, file: string, problems: Problems): Map<string, string> {
  const users = new Map<string, string>();
  if (value === undefined || value === null) return users;
  if (!isMapping(value)) {
    problems.add(`${file}: basic_auth_users: expected a mapping of user name to bcrypt hash`);
    return users;
  }
  for (const [user, hash] of Object.entries(value)) {
    const at = `${file}: basic_auth_users."${user}"`;
    if (user === '' || user.includes(':')) problems.add(`${at}: a user name must be non-empty and without ":"`);
    else if (typeof hash !== 'string' || !BCRYPT_RE.test(hash)) {
      // The value is never quoted: it may be a plain password typed by mistake.
      problems.add(`${at}: expected a bcrypt hash ($2a$, $2b$ or $2y$, cost 04-31); ${BCRYPT_HINT}`);
    } else users.set(user, hash);
  }
  return users;
}
