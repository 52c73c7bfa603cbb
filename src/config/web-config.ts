import { dirname, isAbsolute, resolve } from 'node:path';
import { createSecureContext, type SecureVersion } from 'node:tls';
import { isMapping } from '../input/mapping';
import { Problems } from './problems';
import { parseYamlFile } from './yaml-file';

/**
 * The Prometheus exporter-toolkit web configuration file
 * (https://github.com/prometheus/exporter-toolkit/blob/master/docs/web-configuration.md),
 * so operators can reuse the file they give their Go exporters.
 */

/** As exporter-toolkit spells them; RequireClientCert is its older name for RequireAnyClientCert. */
const CLIENT_AUTH_TYPES = [
  'NoClientCert',
  'RequestClientCert',
  'RequireAnyClientCert',
  'RequireClientCert',
  'VerifyClientCertIfGiven',
  'RequireAndVerifyClientCert',
] as const;
export type ClientAuthType = (typeof CLIENT_AUTH_TYPES)[number];

const TLS_VERSIONS: Readonly<Record<string, SecureVersion>> = {
  TLS10: 'TLSv1',
  TLS11: 'TLSv1.1',
  TLS12: 'TLSv1.2',
  TLS13: 'TLSv1.3',
};
const VERSION_ORDER: readonly SecureVersion[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];

export interface TlsSettings {
  certFile: string;
  keyFile: string;
  /** PEM text, read when the web config was loaded. */
  cert: string;
  key: string;
  clientAuthType: ClientAuthType;
  clientCaFile?: string;
  clientCa?: string;
  minVersion: SecureVersion;
  maxVersion: SecureVersion;
}

export interface WebConfig {
  file: string;
  tls?: TlsSettings;
  /** User name → bcrypt hash. Empty: no basic auth. */
  users: ReadonlyMap<string, string>;
  /** Accepted but worth a log line at start-up and reload. */
  warnings: string[];
}

export interface WebConfigResult {
  config?: WebConfig;
  /** Each names the file and key; none holds a hash or key material. */
  problems: string[];
}

const TOP_KEYS = ['tls_server_config', 'basic_auth_users'];
const TLS_KEYS = ['cert_file', 'key_file', 'client_auth_type', 'client_ca_file', 'min_version', 'max_version'];
/** Keys exporter-toolkit knows and this exporter does not implement: refusing them beats ignoring them. */
const UNSUPPORTED_TOP_KEYS = ['http_server_config', 'rate_limit'];
const UNSUPPORTED_TLS_KEYS = [
  'cert',
  'key',
  'client_ca',
  'cipher_suites',
  'curve_preferences',
  'prefer_server_cipher_suites',
  'client_allowed_sans',
];
const BCRYPT_RE = /^\$2[aby]\$(0[4-9]|[12]\d|3[01])\$[./A-Za-z0-9]{53}$/;
const VERIFYING_AUTH_TYPES: readonly ClientAuthType[] = ['VerifyClientCertIfGiven', 'RequireAndVerifyClientCert'];

const BCRYPT_HINT = `make one with: htpasswd -nBC 10 "" | tr -d ':\\n'`;

/** Reads and checks a web config file; `readFile` reads it and the certificate files it names. */
export function loadWebConfig(file: string, readFile: (path: string) => string): WebConfigResult {
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
  for (const key of Object.keys(root)) {
    if (UNSUPPORTED_TOP_KEYS.includes(key)) {
      problems.add(`${file}: ${key}: not supported by this exporter; remove it (supported: ${TOP_KEYS.join(', ')})`);
    } else if (!TOP_KEYS.includes(key)) problems.add(`${file}: unknown key "${key}"; expected ${TOP_KEYS.join(', ')}`);
  }
  const baseDir = dirname(file);
  const tls = parseTls(root.tls_server_config, { file, baseDir, readFile, problems });
  const users = parseUsers(root.basic_auth_users, file, problems);
  if (users.size > 0 && !tls) {
    warnings.push(`${file}: basic_auth_users without tls_server_config: passwords cross the network in clear text`);
  }
  if (problems.count > 0) return { problems: problems.list };
  return { config: { file, users, warnings, ...(tls ? { tls } : {}) }, problems: [] };
}

/** The keys of tls_server_config that turn TLS on, as in exporter-toolkit: any one of them set. */
const TLS_ON_KEYS = ['cert_file', 'key_file', 'client_auth_type', 'client_ca_file'];

/**
 * Whether a web config (its parsed YAML) turns TLS on: the one decision the server and the
 * container health probe both take. `tls_server_config: {}`, or only min_version/max_version,
 * leaves plain HTTP.
 */
export function webConfigTurnsTlsOn(webConfig: unknown): boolean {
  return isMapping(webConfig) && tlsTurnedOn(webConfig.tls_server_config);
}

function tlsTurnedOn(tlsServerConfig: unknown): boolean {
  if (!isMapping(tlsServerConfig)) return false;
  return TLS_ON_KEYS.some((key) => {
    const v = tlsServerConfig[key];
    return v !== undefined && v !== null && v !== '';
  });
}

interface TlsContext {
  file: string;
  baseDir: string;
  readFile: (path: string) => string;
  problems: Problems;
}

function parseTls(value: unknown, ctx: TlsContext): TlsSettings | undefined {
  const { file, problems } = ctx;
  const at = `${file}: tls_server_config`;
  if (value === undefined || value === null) return undefined;
  if (!isMapping(value)) {
    problems.add(`${at}: expected a mapping with the keys ${TLS_KEYS.join(', ')}`);
    return undefined;
  }
  for (const key of Object.keys(value)) {
    if (UNSUPPORTED_TLS_KEYS.includes(key)) {
      problems.add(`${at}.${key}: not supported by this exporter; remove it (supported: ${TLS_KEYS.join(', ')})`);
    } else if (!TLS_KEYS.includes(key)) problems.add(`${at}: unknown key "${key}"; expected ${TLS_KEYS.join(', ')}`);
  }
  const text = (key: string): string | undefined => {
    const v = value[key];
    if (v === undefined || v === null || v === '') return undefined;
    if (typeof v !== 'string') {
      problems.add(`${at}.${key}: expected a string`);
      return undefined;
    }
    return v;
  };
  const certFile = text('cert_file');
  const keyFile = text('key_file');
  const authText = text('client_auth_type');
  const caFile = text('client_ca_file');
  if (!tlsTurnedOn(value)) return undefined;

  const path = (p: string): string => (isAbsolute(p) ? p : resolve(ctx.baseDir, p));
  const read = (key: string, p: string, expected: string): string | undefined =>
    problems.readFile(ctx.readFile, path(p), `${at}.${key}`, expected);
  if (!certFile) problems.add(`${at}.cert_file: missing; expected a path to a PEM certificate (chain)`);
  if (!keyFile) problems.add(`${at}.key_file: missing; expected a path to the PEM private key of cert_file`);
  const cert = certFile ? read('cert_file', certFile, 'a PEM certificate (chain)') : undefined;
  const key = keyFile ? read('key_file', keyFile, 'a PEM private key') : undefined;

  let clientAuthType: ClientAuthType = 'NoClientCert';
  if (authText !== undefined) {
    if ((CLIENT_AUTH_TYPES as readonly string[]).includes(authText)) clientAuthType = authText as ClientAuthType;
    else problems.invalid(`${at}.client_auth_type`, authText, `one of ${CLIENT_AUTH_TYPES.join(', ')}`);
  }
  const clientCa = caFile ? read('client_ca_file', caFile, 'PEM CA certificates') : undefined;
  if (caFile && clientAuthType === 'NoClientCert' && authText !== undefined) {
    problems.add(
      `${at}.client_ca_file: set but client_auth_type is NoClientCert; ` +
        'choose a client_auth_type such as RequireAndVerifyClientCert',
    );
  } else if (caFile && authText === undefined) {
    problems.add(
      `${at}.client_ca_file: set without client_auth_type; add client_auth_type: RequireAndVerifyClientCert`,
    );
  }
  if (VERIFYING_AUTH_TYPES.includes(clientAuthType) && !caFile) {
    // Without it, any certificate from a public CA would pass.
    problems.add(
      `${at}.client_ca_file: required with client_auth_type ${clientAuthType}; ` +
        'expected a path to the CA that signs client certificates',
    );
  }

  const version = (key: string, fallback: SecureVersion): SecureVersion => {
    const v = text(key);
    if (v === undefined) return fallback;
    const mapped = TLS_VERSIONS[v];
    if (!mapped) problems.invalid(`${at}.${key}`, v, `one of ${Object.keys(TLS_VERSIONS).join(', ')}`);
    return mapped ?? fallback;
  };
  const minVersion = version('min_version', 'TLSv1.2');
  const maxVersion = version('max_version', 'TLSv1.3');
  if (VERSION_ORDER.indexOf(minVersion) > VERSION_ORDER.indexOf(maxVersion)) {
    problems.add(`${at}.min_version: higher than max_version`);
  }

  if (cert !== undefined && key !== undefined) {
    try {
      createSecureContext({ cert, key, ...(clientCa !== undefined ? { ca: clientCa } : {}) });
    } catch (error) {
      // OpenSSL messages name the failing check, never the key material.
      const reason = (error as Error).message;
      problems.add(`${at}: cert_file, key_file and client_ca_file cannot be used together: ${reason}`);
    }
  }
  if (!certFile || !keyFile || cert === undefined || key === undefined) return undefined;
  return {
    certFile: path(certFile),
    keyFile: path(keyFile),
    cert,
    key,
    clientAuthType,
    ...(caFile && clientCa !== undefined ? { clientCaFile: path(caFile), clientCa } : {}),
    minVersion,
    maxVersion,
  };
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
