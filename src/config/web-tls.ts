import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { isAbsolute, resolve } from 'node:path';
import { createSecureContext, rootCertificates, type SecureVersion } from 'node:tls';
import { Fields, isMapping } from './web-fields';
import type { Problems } from './problems';

/**
 * tls_server_config of the exporter-toolkit web config, read as exporter-toolkit's
 * web/tls_config.go reads it, and turned into Node TLS options.
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
const VERIFYING_AUTH_TYPES: readonly ClientAuthType[] = ['VerifyClientCertIfGiven', 'RequireAndVerifyClientCert'];

const TLS_VERSIONS: Readonly<Record<string, SecureVersion>> = {
  TLS10: 'TLSv1',
  TLS11: 'TLSv1.1',
  TLS12: 'TLSv1.2',
  TLS13: 'TLSv1.3',
};
const VERSION_ORDER: readonly SecureVersion[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];

/**
 * Go's crypto/tls.CipherSuites() (the suites exporter-toolkit accepts; Go lists RSA key exchange,
 * 3DES, RC4 and CBC-SHA256 as insecure and the toolkit refuses them) → OpenSSL names. The TLS 1.3
 * suites cannot be configured in Go, which always offers all three; they are accepted and change
 * nothing here either.
 */
const GO_CIPHER_SUITES: Readonly<Record<string, string>> = {
  TLS_AES_128_GCM_SHA256: 'TLS_AES_128_GCM_SHA256',
  TLS_AES_256_GCM_SHA384: 'TLS_AES_256_GCM_SHA384',
  TLS_CHACHA20_POLY1305_SHA256: 'TLS_CHACHA20_POLY1305_SHA256',
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA: 'ECDHE-ECDSA-AES128-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA: 'ECDHE-ECDSA-AES256-SHA',
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: 'ECDHE-RSA-AES128-SHA',
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA: 'ECDHE-RSA-AES256-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: 'ECDHE-ECDSA-AES128-GCM-SHA256',
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: 'ECDHE-ECDSA-AES256-GCM-SHA384',
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: 'ECDHE-RSA-AES128-GCM-SHA256',
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: 'ECDHE-RSA-AES256-GCM-SHA384',
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-RSA-CHACHA20-POLY1305',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-ECDSA-CHACHA20-POLY1305',
};

/** Go's tls.CurveID names → OpenSSL group names. */
const GO_CURVES: Readonly<Record<string, string>> = {
  CurveP256: 'P-256',
  CurveP384: 'P-384',
  CurveP521: 'P-521',
  X25519: 'X25519',
};

/** Go's HTTP/2 server refuses a TLS 1.2 cipher list without one of these (RFC 7540 §9.2.2). */
const HTTP2_REQUIRED_CIPHERS = ['TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256'];

/** Where Go looks for the system's CA certificates on Linux (crypto/x509/root_linux.go), in order. */
const SYSTEM_CA_FILES = [
  '/etc/ssl/certs/ca-certificates.crt',
  '/etc/pki/tls/certs/ca-bundle.crt',
  '/etc/ssl/ca-bundle.pem',
  '/etc/pki/tls/cacert.pem',
  '/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem',
  '/etc/ssl/cert.pem',
];

export interface TlsSettings {
  /** Absolute paths; absent when the PEM was given inline (cert, key). */
  certFile?: string;
  keyFile?: string;
  /** PEM text, read when the web config was loaded. */
  cert: string;
  key: string;
  clientAuthType: ClientAuthType;
  clientCaFile?: string;
  /** PEM CA certificates that sign client certificates: client_ca_file, client_ca or the system's. */
  clientCa?: string;
  /** Where clientCa came from when neither client_ca_file nor client_ca was given. */
  clientCaFromSystem?: string;
  minVersion: SecureVersion;
  maxVersion: SecureVersion;
  /** cipher_suites as written (Go names). */
  cipherSuites?: readonly string[];
  /** OpenSSL cipher list for TLS 1.2 and older; absent: Node's default. */
  ciphers?: string;
  /** prefer_server_cipher_suites. */
  honorCipherOrder: boolean;
  /** OpenSSL group list in preference order, e.g. "P-256:X25519"; absent: Node's default. */
  ecdhCurve?: string;
  /** client_allowed_sans: a client certificate must carry one of these SANs. */
  clientAllowedSans?: readonly string[];
}

const TLS_KEYS = [
  'cert',
  'key',
  'client_ca',
  'cert_file',
  'key_file',
  'client_auth_type',
  'client_ca_file',
  'client_allowed_sans',
  'min_version',
  'max_version',
  'cipher_suites',
  'prefer_server_cipher_suites',
  'curve_preferences',
];

/** The keys that turn TLS on, as exporter-toolkit's TLSConfig.IsEnabled: any one of them set. */
const TLS_ON_KEYS = ['cert_file', 'cert', 'key_file', 'key', 'client_ca_file', 'client_ca', 'client_auth_type'];

export function tlsTurnedOn(tlsServerConfig: unknown): boolean {
  if (!isMapping(tlsServerConfig)) return false;
  return TLS_ON_KEYS.some((key) => {
    const v = tlsServerConfig[key];
    return v !== undefined && v !== null && v !== '';
  });
}

export interface TlsContext {
  file: string;
  baseDir: string;
  readFile: (path: string) => string;
  problems: Problems;
  warnings: string[];
  env: NodeJS.ProcessEnv;
}

/** One PEM from `<name>_file` or inline `<name>`; the file wins when both are set, as in exporter-toolkit. */
function readPem(
  f: Fields,
  ctx: TlsContext,
  name: string,
  expected: string,
): { pem?: string; path?: string; given: boolean } {
  const fileKey = `${name}_file`;
  const file = f.text(fileKey);
  const inline = f.text(name);
  if (file !== undefined) {
    if (inline !== undefined) ctx.warnings.push(`${f.at}: both ${name} and ${fileKey} are set; ${fileKey} is used`);
    const path = isAbsolute(file) ? file : resolve(ctx.baseDir, file);
    return { pem: ctx.problems.readFile(ctx.readFile, path, `${f.at}.${fileKey}`, expected), path, given: true };
  }
  return { ...(inline !== undefined ? { pem: inline } : {}), given: inline !== undefined };
}

/** Why a certificate and key cannot serve together, or undefined; never quotes key material. */
function keyPairProblem(cert: string, key: string): string | undefined {
  let certKey;
  let privateKey;
  try {
    certKey = new X509Certificate(cert).publicKey;
  } catch {
    return 'the certificate is not a PEM certificate';
  }
  try {
    privateKey = createPrivateKey(key);
  } catch {
    return 'the key is not an unencrypted PEM private key';
  }
  const certType = certKey.asymmetricKeyType ?? 'unknown';
  const keyType = privateKey.asymmetricKeyType ?? 'unknown';
  if (certType !== keyType) {
    return `the certificate holds an ${certType.toUpperCase()} public key but the key is an ${keyType.toUpperCase()} private key`;
  }
  const spki = (k: ReturnType<typeof createPublicKey>): Buffer => k.export({ type: 'spki', format: 'der' });
  if (!spki(certKey).equals(spki(createPublicKey(privateKey)))) return 'the key is not the certificate’s key';
  return undefined;
}

function readKeyPair(
  f: Fields,
  ctx: TlsContext,
): Pick<TlsSettings, 'cert' | 'key' | 'certFile' | 'keyFile'> | undefined {
  const cert = readPem(f, ctx, 'cert', 'a PEM certificate (chain)');
  const key = readPem(f, ctx, 'key', 'a PEM private key');
  if (!cert.given) {
    f.problems.add(`${f.at}.cert_file: missing one of cert or cert_file; expected a path to a PEM certificate (chain)`);
  }
  if (!key.given) {
    f.problems.add(
      `${f.at}.key_file: missing one of key or key_file; expected a path to the PEM private key of the certificate`,
    );
  }
  if (cert.pem === undefined || key.pem === undefined) return undefined;
  const problem = keyPairProblem(cert.pem, key.pem);
  if (problem) {
    f.problems.add(
      `${f.at}: ${cert.path ? 'cert_file' : 'cert'} and ${key.path ? 'key_file' : 'key'} do not match: ${problem}`,
    );
    return undefined;
  }
  return {
    cert: cert.pem,
    key: key.pem,
    ...(cert.path ? { certFile: cert.path } : {}),
    ...(key.path ? { keyFile: key.path } : {}),
  };
}

/** The system's CA certificates as Go finds them (SSL_CERT_FILE, then the usual files), else Node's own. */
function systemCa(ctx: TlsContext): { pem: string; from: string } {
  const candidates = ctx.env.SSL_CERT_FILE ? [ctx.env.SSL_CERT_FILE] : SYSTEM_CA_FILES;
  for (const path of candidates) {
    try {
      return { pem: ctx.readFile(path), from: path };
    } catch {
      // The next one.
    }
  }
  return { pem: rootCertificates.join('\n'), from: 'the CA list built into Node.js' };
}

function readClientAuth(
  f: Fields,
  ctx: TlsContext,
): Pick<TlsSettings, 'clientAuthType' | 'clientCa' | 'clientCaFile' | 'clientCaFromSystem'> {
  const names = Object.fromEntries(CLIENT_AUTH_TYPES.map((t) => [t, t])) as Record<string, ClientAuthType>;
  const clientAuthType = f.choice('client_auth_type', names) ?? 'NoClientCert';
  const ca = readPem(f, ctx, 'client_ca', 'PEM CA certificates');
  const caKey = ca.path ? 'client_ca_file' : 'client_ca';
  if (ca.given && clientAuthType === 'NoClientCert') {
    f.problems.add(
      `${f.at}.${caKey}: client CAs are set but client_auth_type is ${f.has('client_auth_type') ? 'NoClientCert' : 'not set'}; ` +
        'add client_auth_type: RequireAndVerifyClientCert',
    );
  }
  if (ca.pem !== undefined) {
    return { clientAuthType, clientCa: ca.pem, ...(ca.path ? { clientCaFile: ca.path } : {}) };
  }
  if (!ca.given && VERIFYING_AUTH_TYPES.includes(clientAuthType)) {
    const system = systemCa(ctx);
    ctx.warnings.push(
      `${f.at}: client_auth_type ${clientAuthType} without client_ca_file: client certificates are verified ` +
        `against the system CAs (${system.from}), so any publicly issued client certificate passes; ` +
        'set client_ca_file to the CA that signs your clients',
    );
    return { clientAuthType, clientCa: system.pem, clientCaFromSystem: system.from };
  }
  return { clientAuthType };
}

function readVersions(f: Fields): Pick<TlsSettings, 'minVersion' | 'maxVersion'> {
  const minVersion = f.choice('min_version', TLS_VERSIONS) ?? 'TLSv1.2';
  const maxVersion = f.choice('max_version', TLS_VERSIONS) ?? 'TLSv1.3';
  if (VERSION_ORDER.indexOf(minVersion) > VERSION_ORDER.indexOf(maxVersion)) {
    f.problems.add(`${f.at}.min_version: higher than max_version`);
  }
  return { minVersion, maxVersion };
}

/** cipher_suites and prefer_server_cipher_suites as Node options; may raise the minimum version. */
function readCiphers(
  f: Fields,
  versions: Pick<TlsSettings, 'minVersion' | 'maxVersion'>,
): Pick<TlsSettings, 'cipherSuites' | 'ciphers' | 'honorCipherOrder' | 'minVersion'> {
  const honorCipherOrder = f.bool('prefer_server_cipher_suites', true);
  const names = f.list('cipher_suites');
  if (names === undefined || names.length === 0) return { honorCipherOrder, minVersion: versions.minVersion };
  const legacy: string[] = [];
  for (const name of names) {
    const openssl = GO_CIPHER_SUITES[name];
    if (openssl === undefined) {
      f.problems.invalid(
        `${f.at}.cipher_suites`,
        name,
        `Go cipher suite names: ${Object.keys(GO_CIPHER_SUITES).join(', ')}`,
        'unknown cipher',
      );
    } else if (!openssl.startsWith('TLS_')) {
      if (!opensslKnows({ ciphers: openssl })) {
        f.problems.add(`${f.at}.cipher_suites: "${name}" (OpenSSL ${openssl}) has no equivalent in this Node.js's TLS`);
      } else legacy.push(openssl);
    }
  }
  let minVersion = versions.minVersion;
  if (legacy.length === 0) {
    // Go then has no suite for TLS 1.2 and older: only TLS 1.3 can connect.
    if (versions.maxVersion !== 'TLSv1.3') {
      f.problems.add(
        `${f.at}.cipher_suites: only TLS 1.3 suites, but max_version is below TLS13: no connection could be made`,
      );
    }
    minVersion = 'TLSv1.3';
  }
  return {
    cipherSuites: names,
    honorCipherOrder,
    minVersion,
    ...(legacy.length > 0 ? { ciphers: legacy.join(':') } : {}),
  };
}

function opensslKnows(options: { ciphers?: string; ecdhCurve?: string }): boolean {
  try {
    createSecureContext(options);
    return true;
  } catch {
    return false;
  }
}

function readCurves(f: Fields): Pick<TlsSettings, 'ecdhCurve'> {
  const names = f.list('curve_preferences');
  if (names === undefined || names.length === 0) return {};
  const groups: string[] = [];
  for (const name of names) {
    const group = GO_CURVES[name];
    if (group === undefined)
      f.problems.invalid(
        `${f.at}.curve_preferences`,
        name,
        `one of ${Object.keys(GO_CURVES).join(', ')}`,
        'unknown curve',
      );
    else if (!opensslKnows({ ecdhCurve: group }))
      f.problems.add(`${f.at}.curve_preferences: "${name}" has no equivalent in this Node.js's TLS`);
    else groups.push(group);
  }
  return groups.length > 0 ? { ecdhCurve: groups.join(':') } : {};
}

/**
 * Whether Go's HTTP/2 server would refuse this cipher list (exporter-toolkit then fails to serve):
 * with HTTP/2 on, a list for TLS 1.2 must hold an ECDHE AES-128-GCM suite.
 */
export function http2CipherProblem(tls: TlsSettings | undefined, at: string): string | undefined {
  if (!tls?.cipherSuites || tls.minVersion === 'TLSv1.3') return undefined;
  if (tls.cipherSuites.some((name) => HTTP2_REQUIRED_CIPHERS.includes(name))) return undefined;
  return (
    `${at}.cipher_suites: with http_server_config.http2 on (its default) the list must include ` +
    `${HTTP2_REQUIRED_CIPHERS.join(' or ')}, as exporter-toolkit requires; add one, or set http_server_config.http2: false`
  );
}

export function parseTls(value: unknown, ctx: TlsContext): TlsSettings | undefined {
  const at = `${ctx.file}: tls_server_config`;
  if (value === undefined || value === null) return undefined;
  if (!isMapping(value)) {
    ctx.problems.add(`${at}: expected a mapping with the keys ${TLS_KEYS.join(', ')}`);
    return undefined;
  }
  const f = new Fields(at, value, ctx.problems);
  f.onlyKeys(TLS_KEYS);
  // Every value is checked whether or not TLS is on, as exporter-toolkit decodes them all.
  const versions = readVersions(f);
  const ciphers = readCiphers(f, versions);
  const curves = readCurves(f);
  const sans = f.list('client_allowed_sans');
  if (!tlsTurnedOn(value)) return undefined;
  const pair = readKeyPair(f, ctx);
  const auth = readClientAuth(f, ctx);
  if (sans !== undefined && auth.clientAuthType === 'NoClientCert') {
    ctx.warnings.push(
      `${at}.client_allowed_sans: has no effect with client_auth_type NoClientCert (no certificate is asked for)`,
    );
  }
  if (pair && auth.clientCa !== undefined && !auth.clientCaFromSystem) {
    try {
      createSecureContext({ ca: auth.clientCa });
    } catch (error) {
      // OpenSSL messages name the failing check, never the key material.
      ctx.problems.add(`${at}.client_ca${auth.clientCaFile ? '_file' : ''}: not usable: ${(error as Error).message}`);
    }
  }
  if (!pair) return undefined;
  return {
    ...pair,
    ...auth,
    ...versions,
    ...ciphers,
    ...curves,
    ...(sans !== undefined ? { clientAllowedSans: sans } : {}),
  };
}
