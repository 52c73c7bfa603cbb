/**
 * The web-config shapes exporter-toolkit's own tests accept and refuse (its web/testdata, rewritten
 * here from its documented schema with this repository's certificates), each accepted and turned
 * into the right settings, or refused with an error naming the key.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadWebConfig } from '../../src/config/web-config';
import { createTestPki, HTPASSWD_HASH, issueCert, type TestPki } from '../support/certs';
import { runCli } from '../support/run-cli';

let pki: TestPki;
let rsa: { cert: string; key: string };
beforeAll(() => {
  pki = createTestPki();
  rsa = issueCert(pki, 'rsa-server', {
    rsa: true,
    extensions: 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n',
  });
});
afterAll(() => pki.remove());

/** Loads `web.yml` with the given text, the certificates from disk, and SSL_CERT_FILE as given. */
function load(yaml: string, env: NodeJS.ProcessEnv = {}): ReturnType<typeof loadWebConfig> {
  const file = join(pki.dir, 'web.yml');
  return loadWebConfig(file, (path) => (path === file ? yaml : readFileSync(path, 'utf8')), env);
}

const indent = (pem: string): string => pem.trim().replace(/^/gm, '    ');
const TLS = 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n';
const RSA_TLS = 'tls_server_config:\n  cert_file: rsa-server.crt\n  key_file: rsa-server.key\n';
/** A well-formed bcrypt hash of the given cost (the file is only checked for its form). */
const hashOfCost = (cost: string): string => `$2y$${cost}$${'a'.repeat(53)}`;

describe('shapes exporter-toolkit accepts', () => {
  it('an empty file: plain HTTP, no users, HTTP/2 setting at its default', () => {
    expect(load('').config).toMatchObject({ users: new Map(), headers: {}, http2: true });
    expect(load('').config?.tls).toBeUndefined();
  });

  it.each(['VerifyClientCertIfGiven', 'RequireAndVerifyClientCert'])(
    '%s without client_ca_file: verified against the system CAs, with a warning',
    (type) => {
      const result = load(`${TLS}  client_auth_type: ${type}\n`, { SSL_CERT_FILE: pki.caCert });
      expect(result.problems).toEqual([]);
      expect(result.config?.tls).toMatchObject({ clientAuthType: type, clientCaFromSystem: pki.caCert });
      expect(result.config?.tls?.clientCa).toBe(pki.read(pki.caCert));
      expect(result.config?.warnings).toEqual([expect.stringMatching(/any publicly issued client certificate passes/)]);
    },
  );

  it('RequireAnyClientCert and RequireAndVerifyClientCert with client_ca_file', () => {
    expect(load(`${TLS}  client_auth_type: RequireAnyClientCert\n`).config?.tls?.clientAuthType).toBe(
      'RequireAnyClientCert',
    );
    const verified = load(`${TLS}  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.crt\n`);
    expect(verified.config?.tls).toMatchObject({ clientCaFile: pki.caCert, clientCa: pki.read(pki.caCert) });
    expect(verified.config?.warnings).toEqual([]);
  });

  it('inline cert, key and client_ca, and a cert file with an inline key', () => {
    const inline = load(
      `tls_server_config:\n  cert: |\n${indent(pki.read(pki.serverCert))}\n  key: |\n${indent(pki.read(pki.serverKey))}\n` +
        `  client_auth_type: RequireAndVerifyClientCert\n  client_ca: |\n${indent(pki.read(pki.caCert))}\n`,
    );
    expect(inline.problems).toEqual([]);
    expect(inline.config?.tls).toMatchObject({
      cert: `${pki.read(pki.serverCert).trim()}\n`,
      clientAuthType: 'RequireAndVerifyClientCert',
    });
    expect(inline.config?.tls?.certFile).toBeUndefined();
    expect(inline.config?.tls?.clientCa).toContain('BEGIN CERTIFICATE');
    const mixed = load(`tls_server_config:\n  cert_file: server.crt\n  key: |\n${indent(pki.read(pki.serverKey))}\n`);
    expect(mixed.problems).toEqual([]);
    expect(mixed.config?.tls).toMatchObject({ certFile: pki.serverCert });
  });

  it('every security header, with the values the toolkit allows', () => {
    const result = load(
      'http_server_config:\n  headers:\n    X-Frame-Options: deny\n' +
        '    Strict-Transport-Security: max-age=31536000; includeSubDomains\n' +
        '    X-Content-Type-Options: nosniff\n    X-XSS-Protection: 1\n' +
        `    Content-Security-Policy: "default-src 'self' *.test.example.net"\n`,
    );
    expect(result.config?.headers).toEqual({
      'X-Frame-Options': 'deny',
      'Strict-Transport-Security': 'max-age=31536000; includeSubDomains',
      'X-Content-Type-Options': 'nosniff',
      'X-XSS-Protection': '1',
      'Content-Security-Policy': "default-src 'self' *.test.example.net",
    });
  });

  it('all of Go’s secure cipher suites; the TLS 1.3 ones change nothing, as in Go', () => {
    const names = [
      'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
      'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
      'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
      'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384',
      'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256',
      'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256',
      'TLS_AES_128_GCM_SHA256',
      'TLS_AES_256_GCM_SHA384',
      'TLS_CHACHA20_POLY1305_SHA256',
      'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA',
      'TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA',
      'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA',
      'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA',
    ];
    const result = load(
      `${TLS}  client_auth_type: VerifyClientCertIfGiven\n  cipher_suites:\n${names.map((n) => `  - ${n}\n`).join('')}`,
    );
    expect(result.problems).toEqual([]);
    expect(result.config?.tls?.ciphers).toBe(
      'ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256:' +
        'ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:' +
        'ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA:ECDHE-RSA-AES128-SHA:ECDHE-RSA-AES256-SHA',
    );
    expect(result.config?.tls?.minVersion).toBe('TLSv1.2');
  });

  it('some ciphers, in the server’s order or the client’s', () => {
    const ordered = load(
      `${RSA_TLS}  cipher_suites:\n  - TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\n  - TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384\n  min_version: TLS12\n  max_version: TLS12\n`,
    );
    expect(ordered.config?.tls).toMatchObject({
      ciphers: 'ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384',
      honorCipherOrder: true,
      maxVersion: 'TLSv1.2',
    });
    const clientOrder = load(
      `${RSA_TLS}  cipher_suites: [TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]\n  prefer_server_cipher_suites: false\n`,
    );
    expect(clientOrder.config?.tls?.honorCipherOrder).toBe(false);
  });

  it('a list without an HTTP/2 cipher when http2 is off', () => {
    const result = load(
      `${RSA_TLS}  cipher_suites: [TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384]\n  max_version: TLS12\nhttp_server_config:\n  http2: false\n`,
    );
    expect(result.problems).toEqual([]);
    expect(result.config?.http2).toBe(false);
  });

  it('all curves, and one curve for TLS 1.3 only', () => {
    const all = load(`${TLS}  curve_preferences: [CurveP256, CurveP384, CurveP521, X25519]\n`);
    expect(all.config?.tls?.ecdhCurve).toBe('P-256:P-384:P-521:X25519');
    const one = load(`${TLS}  min_version: TLS13\n  curve_preferences:\n  - CurveP521\n`);
    expect(one.config?.tls).toMatchObject({ ecdhCurve: 'P-521', minVersion: 'TLSv1.3' });
  });

  it('client_allowed_sans', () => {
    const result = load(
      `${TLS}  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.crt\n  client_allowed_sans: [one, test3, two]\n`,
    );
    expect(result.config?.tls?.clientAllowedSans).toEqual(['one', 'test3', 'two']);
  });

  it('rate_limit: interval 0 is off; "1s" with burst 0 refuses all, as the toolkit does', () => {
    expect(load('rate_limit:\n  interval: 0\n  burst: 0\n').config?.rateLimit).toBeUndefined();
    const strict = load('rate_limit:\n  interval: "1s"\n  burst: 0\n');
    expect(strict.config?.rateLimit).toEqual({ intervalMs: 1000, burst: 0 });
    expect(strict.config?.warnings).toEqual([expect.stringMatching(/burst 0 refuses every request/)]);
    expect(load('rate_limit:\n  interval: 1m30.5s\n  burst: 20\n').config?.rateLimit).toEqual({
      intervalMs: 90_500,
      burst: 20,
    });
  });

  it('the toolkit’s documented sample: TLS, two users and a rate limit', () => {
    const result = load(
      `${TLS}basic_auth_users:\n  alice: '${HTPASSWD_HASH}'\n  bob: '${hashOfCost('10')}'\n` +
        'rate_limit:\n  interval: "1s"\n  burst: 20\n',
    );
    expect(result.problems).toEqual([]);
    expect(result.config).toMatchObject({ rateLimit: { intervalMs: 1000, burst: 20 } });
    expect([...(result.config?.users.keys() ?? [])]).toEqual(['alice', 'bob']);
  });

  it('users of any bcrypt cost, with and without TLS', () => {
    const users = `basic_auth_users:\n  alice: '${hashOfCost('12')}'\n  bob: '${hashOfCost('18')}'\n  carol: '${hashOfCost('10')}'\n`;
    expect(load(`${TLS}${users}`).config?.users.size).toBe(3);
    expect(load(users).config?.warnings).toEqual([expect.stringMatching(/clear text/)]);
  });
});

describe('shapes exporter-toolkit refuses', () => {
  it.each([
    ['junk (not a mapping)', 'hWkNKCp3fvIx3jKnsaBI\nTuEjdwNS8A2vYdFbiKqr\n', /web\.yml: expected a mapping/],
    ['a misspelt key', 'tls_server_config:\n  cert_filse: server.crt\n', /tls_server_config: unknown key "cert_filse"/],
    [
      'cert_file empty',
      'tls_server_config:\n  cert_file: ""\n  key_file: server.key\n',
      /cert_file: missing one of cert or cert_file/,
    ],
    [
      'cert empty',
      'tls_server_config:\n  cert: ""\n  key_file: server.key\n',
      /cert_file: missing one of cert or cert_file/,
    ],
    [
      'key_file empty',
      'tls_server_config:\n  cert_file: server.crt\n  key_file: ""\n',
      /key_file: missing one of key or key_file/,
    ],
    [
      'key empty',
      'tls_server_config:\n  cert_file: server.crt\n  key: ""\n',
      /key_file: missing one of key or key_file/,
    ],
    [
      'both empty, with a client_auth_type',
      'tls_server_config:\n  cert_file: ""\n  key_file: ""\n  client_auth_type: "x"\n',
      /cert_file: missing one of cert or cert_file/,
    ],
    [
      'cert_file missing on disk',
      'tls_server_config:\n  cert_file: somefile\n  key_file: server.key\n',
      /cert_file: cannot read .*somefile" \(ENOENT\)/,
    ],
    [
      'key_file missing on disk',
      'tls_server_config:\n  cert_file: server.crt\n  key_file: somefile\n',
      /key_file: cannot read .*somefile" \(ENOENT\)/,
    ],
    [
      'a client CA without client_auth_type',
      `${TLS}  client_ca_file: ca.crt\n`,
      /client_ca_file: client CAs are set but client_auth_type is not set/,
    ],
    [
      'client_ca_file missing on disk',
      `${TLS}  client_ca_file: somefile\n`,
      /client_ca_file: cannot read .*somefile" \(ENOENT\)/,
    ],
    ['a plain password', `${TLS}basic_auth_users:\n  john: doe\n`, /basic_auth_users\."john": expected a bcrypt hash/],
    [
      'an invented cipher',
      `${TLS}  client_auth_type: VerifyClientCertIfGiven\n  cipher_suites:\n  - TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA2048\n`,
      /cipher_suites: "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA2048" is not valid: unknown cipher/,
    ],
    [
      'a cipher Go lists as insecure',
      `${TLS}  cipher_suites: [TLS_RSA_WITH_AES_128_GCM_SHA256]\n`,
      /cipher_suites: "TLS_RSA_WITH_AES_128_GCM_SHA256" is not valid: unknown cipher/,
    ],
    [
      'an invented curve',
      `${TLS}  curve_preferences:\n    - CurveP257\n`,
      /curve_preferences: "CurveP257" is not valid: unknown curve/,
    ],
    [
      'an unknown TLS version',
      `${TLS}  min_version: TLS111\n`,
      /min_version: "TLS111" is not valid; expected one of TLS10, TLS11, TLS12, TLS13/,
    ],
    [
      'a TLS 1.2 cipher list without an HTTP/2 cipher while http2 is on',
      `${RSA_TLS}  cipher_suites:\n    - TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384\n  max_version: TLS12\n`,
      /tls_server_config\.cipher_suites: with http_server_config\.http2 on .* must include TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256/,
    ],
    [
      'X-Content-Type-Options other than nosniff',
      'http_server_config:\n  headers:\n    X-Content-Type-Options: sniff\n',
      /headers\.X-Content-Type-Options: "sniff" is not valid; expected one of nosniff/,
    ],
    [
      'X-Frame-Options other than deny or sameorigin',
      'http_server_config:\n  headers:\n    X-Frame-Options: foo\n',
      /headers\.X-Frame-Options: "foo" is not valid; expected one of deny, sameorigin/,
    ],
    [
      'a header that cannot be set',
      'http_server_config:\n  headers:\n    Content-Type: foo\n',
      /HTTP header "Content-Type" can not be configured/,
    ],
    ['http2 not a boolean', 'http_server_config:\n  http2: 2\n', /http_server_config\.http2: expected true or false/],
    [
      'an unknown http_server_config key',
      'http_server_config:\n  h2c: true\n',
      /http_server_config: unknown key "h2c"/,
    ],
    [
      'a rate_limit interval that is no duration',
      'rate_limit:\n  interval: fast\n  burst: 1\n',
      /rate_limit\.interval: expected a duration/,
    ],
    ['an unknown rate_limit key', 'rate_limit:\n  rate: 1\n', /rate_limit: unknown key "rate"/],
    [
      'a cipher_suites that is no list',
      `${TLS}  cipher_suites: TLS_AES_128_GCM_SHA256\n`,
      /cipher_suites: expected a list of strings/,
    ],
  ])('%s', (_name, yaml, expected) => {
    const result = load(yaml);
    expect(result.config).toBeUndefined();
    expect(result.problems).toEqual(expect.arrayContaining([expect.stringMatching(expected)]));
  });

  it('a certificate and key of different types (RSA certificate, EC key), naming both', () => {
    const result = load('tls_server_config:\n  cert_file: rsa-server.crt\n  key_file: server.key\n');
    expect(result.problems).toEqual([
      expect.stringMatching(
        /tls_server_config: cert_file and key_file do not match: the certificate holds an RSA public key but the key is an EC private key/,
      ),
    ]);
  });

  it('never quotes an inline key in an error', () => {
    const key = pki.read(rsa.key);
    const result = load(`tls_server_config:\n  cert_file: server.crt\n  key: |\n${indent(key)}\n`);
    expect(result.problems).toEqual([expect.stringMatching(/cert_file and key do not match/)]);
    expect(result.problems.join('\n')).not.toContain(key.split('\n')[1]);
  });
});

describe('a certificate/key type mismatch in the built exporter', () => {
  it.each([
    ['--config.check', ['--config.check']],
    ['start-up', []],
  ])('is refused by %s, exit 1', async (_name, mode) => {
    const file = join(pki.dir, 'mismatch.yml');
    writeFileSync(file, 'tls_server_config:\n  cert_file: rsa-server.crt\n  key_file: server.key\n');
    const run = await runCli([...mode, `--web.config.file=${file}`, '--web.listen-address=127.0.0.1:0'], {
      ITNIO_API_KEY: 'key',
      ITNIO_API_SECRET: 'secret',
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(
      /cert_file and key_file do not match: the certificate holds an RSA public key but the key is an EC private key/,
    );
  });
});
