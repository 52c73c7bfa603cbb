/**
 * The TLS settings of an exporter-toolkit web config enforced on real TLS connections: cipher
 * suites and their order, curves, client_allowed_sans, client certificates verified against the
 * system CAs. Certificates come from the openssl CLI.
 */
import { request } from 'node:https';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SecureContextOptions } from 'node:tls';
import { loadWebConfig, type TlsSettings } from '../../src/config/web-config';
import { createTlsServer } from '../../src/web/tls';
import { createTestPki, issueCert, type TestPki } from '../support/certs';

let pki: TestPki;
let sanClient: { cert: string; key: string };
beforeAll(() => {
  pki = createTestPki();
  issueCert(pki, 'rsa-server', {
    rsa: true,
    extensions: 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n',
  });
  sanClient = issueCert(pki, 'san-client', {
    extensions: 'subjectAltName=DNS:test3,IP:0:0:0:0:0:0:0:1,email:ops@example.net\nextendedKeyUsage=clientAuth\n',
  });
});
afterAll(() => pki.remove());

function tlsOf(yaml: string, env: NodeJS.ProcessEnv = {}): TlsSettings {
  const file = join(pki.dir, 'web.yml');
  writeFileSync(file, yaml);
  const result = loadWebConfig(file, (path) => readFileSync(path, 'utf8'), env);
  expect(result.problems).toEqual([]);
  return result.config!.tls!;
}

async function serve(tls: TlsSettings): Promise<{ port: number; close: () => Promise<void> }> {
  const server: Server = createTlsServer(tls, (_req, res) => res.end('ok'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

type ClientOptions = Pick<SecureContextOptions, 'ciphers' | 'ecdhCurve' | 'maxVersion' | 'cert' | 'key'>;

/** GET / on a fresh connection: the status and the cipher agreed, or the error. */
function get(
  port: number,
  options: ClientOptions = {},
): Promise<{ status: number; cipher: string } | { error: string }> {
  return new Promise((resolve) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/', agent: false, ca: pki.read(pki.caCert), ...options },
      (res) => {
        const cipher = (res.socket as import('node:tls').TLSSocket).getCipher().standardName;
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, cipher }));
      },
    );
    req.on('error', (error) => resolve({ error: error.message }));
    req.end();
  });
}

/** The connection failed: during the handshake, or cut right after it. */
const REFUSED = { error: expect.any(String) };
const RSA_TLS = 'tls_server_config:\n  cert_file: rsa-server.crt\n  key_file: rsa-server.key\n';
const TLS = 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n';

describe('cipher_suites and prefer_server_cipher_suites', () => {
  const LIST =
    '  cipher_suites:\n  - TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384\n  - TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\n  max_version: TLS12\n';

  it('a client with a listed cipher connects; one with none of them is refused', async () => {
    const s = await serve(tlsOf(`${RSA_TLS}${LIST}`));
    try {
      expect(await get(s.port, { ciphers: 'ECDHE-RSA-AES128-GCM-SHA256' })).toEqual({
        status: 200,
        cipher: 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
      });
      expect(await get(s.port, { ciphers: 'ECDHE-RSA-AES256-SHA' })).toEqual(REFUSED);
      expect(await get(s.port, { ciphers: 'ECDHE-RSA-CHACHA20-POLY1305' })).toEqual(REFUSED);
    } finally {
      await s.close();
    }
  });

  it('picks the server’s order by default and the client’s with prefer_server_cipher_suites: false', async () => {
    const client = { ciphers: 'ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384' };
    const server = await serve(tlsOf(`${RSA_TLS}${LIST}`));
    const clientOrder = await serve(tlsOf(`${RSA_TLS}${LIST}  prefer_server_cipher_suites: false\n`));
    try {
      expect(await get(server.port, client)).toMatchObject({ cipher: 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384' });
      expect(await get(clientOrder.port, client)).toMatchObject({ cipher: 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256' });
    } finally {
      await Promise.all([server.close(), clientOrder.close()]);
    }
  });

  it('leaves TLS 1.3 suites alone, as Go does: TLS 1.3 still connects with a TLS 1.2-only list', async () => {
    const s = await serve(tlsOf(`${RSA_TLS}  cipher_suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]\n`));
    try {
      expect(await get(s.port)).toMatchObject({ status: 200, cipher: expect.stringMatching(/^TLS_(AES|CHACHA20)/) });
    } finally {
      await s.close();
    }
  });
});

describe('curve_preferences', () => {
  it('a TLS 1.3 client with a listed curve connects; one with another curve is refused', async () => {
    const s = await serve(tlsOf(`${TLS}  min_version: TLS13\n  curve_preferences:\n  - CurveP521\n`));
    try {
      expect(await get(s.port, { ecdhCurve: 'P-521' })).toMatchObject({ status: 200 });
      expect(await get(s.port, { ecdhCurve: 'P-384' })).toEqual(REFUSED);
    } finally {
      await s.close();
    }
  });
});

describe('client_allowed_sans', () => {
  const VERIFY = `${TLS}  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.crt\n`;
  const withCert = (cert: { cert: string; key: string }): ClientOptions => ({
    cert: pki.read(cert.cert),
    key: pki.read(cert.key),
  });

  it.each([
    ['a DNS name', '[one, test3, two]'],
    ['an IPv6 address, as Go prints it', '["::1"]'],
    ['an e-mail address', '[ops@example.net]'],
  ])('lets in a certificate that carries one of them: %s', async (_name, list) => {
    const s = await serve(tlsOf(`${VERIFY}  client_allowed_sans: ${list}\n`));
    try {
      expect(await get(s.port, withCert(sanClient))).toMatchObject({ status: 200 });
    } finally {
      await s.close();
    }
  });

  it('refuses a trusted certificate without an allowed SAN, and one without SANs', async () => {
    const s = await serve(tlsOf(`${VERIFY}  client_allowed_sans: [bad]\n`));
    try {
      expect(await get(s.port, withCert(sanClient))).toEqual(REFUSED);
      expect(await get(s.port, withCert({ cert: pki.clientCert, key: pki.clientKey }))).toEqual(REFUSED);
    } finally {
      await s.close();
    }
  });

  it('with VerifyClientCertIfGiven, refuses a client that gives no certificate at all', async () => {
    const s = await serve(
      tlsOf(
        `${TLS}  client_auth_type: VerifyClientCertIfGiven\n  client_ca_file: ca.crt\n  client_allowed_sans: [test3]\n`,
      ),
    );
    try {
      expect(await get(s.port)).toEqual(REFUSED);
      expect(await get(s.port, withCert(sanClient))).toMatchObject({ status: 200 });
    } finally {
      await s.close();
    }
  });
});

describe('client certificates without client_ca_file', () => {
  it('verifies against the system CAs (SSL_CERT_FILE here): their client passes, another CA’s is refused', async () => {
    const s = await serve(
      tlsOf(`${TLS}  client_auth_type: RequireAndVerifyClientCert\n`, { SSL_CERT_FILE: pki.caCert }),
    );
    try {
      const trusted = { cert: pki.read(pki.clientCert), key: pki.read(pki.clientKey) };
      expect(await get(s.port, trusted)).toMatchObject({ status: 200 });
      expect(await get(s.port, { cert: pki.read(pki.rogueCert), key: pki.read(pki.rogueKey) })).toEqual(REFUSED);
      expect(await get(s.port)).toEqual(REFUSED);
    } finally {
      await s.close();
    }
  });
});

describe('inline cert and key', () => {
  it('serves with the PEMs written in the file', async () => {
    const indent = (pem: string): string => pem.trim().replace(/^/gm, '    ');
    const s = await serve(
      tlsOf(
        `tls_server_config:\n  cert: |\n${indent(pki.read(pki.serverCert))}\n  key: |\n${indent(pki.read(pki.serverKey))}\n`,
      ),
    );
    try {
      expect(await get(s.port)).toMatchObject({ status: 200 });
    } finally {
      await s.close();
    }
  });
});
