import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ACCOUNT_A, startHarness, type Harness } from '../support/exporter-harness';
import { createTestPki, HTPASSWD_HASH, HTPASSWD_PASSWORD, type TestPki } from '../support/certs';
import { fetchUrl, type FetchOptions } from '../support/https-request';

let pki: TestPki;
let counter = 0;
beforeAll(() => {
  pki = createTestPki();
});
afterAll(() => pki.remove());

/** An exporter serving with the given web config; the account polls the simulator once at start. */
async function serve(webYaml: string): Promise<Harness> {
  const file = join(pki.dir, `web-${++counter}.yml`);
  writeFileSync(file, webYaml);
  return startHarness(
    [ACCOUNT_A],
    (simulator) => [`--web.config.file=${file}`, `--api.base-url=${simulator.baseUrl}`],
    { ITNIO_API_KEY: ACCOUNT_A.apiKey, ITNIO_API_SECRET: ACCOUNT_A.apiSecret },
  );
}

const TLS = `tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n`;
const USERS = `basic_auth_users:\n  alice: '${HTPASSWD_HASH}'\n`;

describe('HTTPS with RequireAndVerifyClientCert and basic auth', () => {
  let h: Harness;
  let trusted: FetchOptions;
  beforeAll(async () => {
    h = await serve(`${TLS}  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.crt\n${USERS}`);
    trusted = { ca: pki.read(pki.caCert), cert: pki.read(pki.clientCert), key: pki.read(pki.clientKey) };
  });
  afterAll(() => h.close());

  it('serves https and its certificate verifies against the test CA', async () => {
    expect(h.exporter.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const res = await fetchUrl(`${h.exporter.url}/metrics`, { ...trusted, auth: `alice:${HTPASSWD_PASSWORD}` });
    expect(res.status).toBe(200);
    expect(res.body).toMatch(/^itniotech_requests_total\{account="default"\} [01]$/m);
  });

  it('refuses plain http on the same port', async () => {
    const res = await fetchUrl(h.exporter.url.replace('https:', 'http:') + '/healthz').catch((error: Error) => error);
    expect(res).not.toHaveProperty('status', 200);
  });

  it('refuses a client without a certificate during the handshake', async () => {
    await expect(fetchUrl(`${h.exporter.url}/healthz`, { ca: trusted.ca })).rejects.toThrow();
  });

  it('refuses a client certificate from a CA it does not trust', async () => {
    await expect(
      fetchUrl(`${h.exporter.url}/healthz`, {
        ca: trusted.ca,
        cert: pki.read(pki.rogueCert),
        key: pki.read(pki.rogueKey),
      }),
    ).rejects.toThrow();
  });

  it('serves /healthz and /readyz without a password', async () => {
    expect((await fetchUrl(`${h.exporter.url}/healthz`, trusted)).status).toBe(200);
    // 200 once the first poll is in, 503 before: either way not 401.
    expect([200, 503]).toContain((await fetchUrl(`${h.exporter.url}/readyz`, trusted)).status);
  });

  it.each(['/metrics', '/', '/no-such-page', '/HEALTHZ', '/healthz/', '/%68ealthz', '/-/reload'])(
    'asks for a password on %s',
    async (path) => {
      const res = await fetchUrl(`${h.exporter.url}${path}`, trusted);
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toMatch(/^Basic realm="itniotech-exporter"/);
    },
  );

  it('answers a wrong user exactly as a wrong password, an empty password or garbage', async () => {
    const answers = await Promise.all(
      [
        { auth: `mallory:${HTPASSWD_PASSWORD}` },
        { auth: 'alice:wrong' },
        { auth: 'alice:' },
        { authorization: 'Basic !!!' },
        {},
      ].map((extra) => fetchUrl(`${h.exporter.url}/metrics`, { ...trusted, ...extra })),
    );
    const shapes = answers.map((r) => ({
      status: r.status,
      body: r.body,
      auth: r.headers['www-authenticate'],
      type: r.headers['content-type'],
      length: r.headers['content-length'],
    }));
    expect(shapes[0]?.status).toBe(401);
    for (const shape of shapes) expect(shape).toEqual(shapes[0]);
  });
});

describe.each([
  ['RequireAnyClientCert', { none: false, rogue: true, trusted: true }],
  ['VerifyClientCertIfGiven', { none: true, rogue: false, trusted: true }],
  ['RequestClientCert', { none: true, rogue: true, trusted: true }],
  ['NoClientCert', { none: true, rogue: true, trusted: true }],
])('client_auth_type %s', (type, expected) => {
  let h: Harness;
  beforeAll(async () => {
    const ca = type === 'NoClientCert' ? '' : '  client_ca_file: ca.crt\n';
    h = await serve(`${TLS}  client_auth_type: ${type}\n${ca}`);
  });
  afterAll(() => h.close());

  const attempt = async (options: FetchOptions): Promise<boolean> => {
    const res = await fetchUrl(`${h.exporter.url}/healthz`, { ca: pki.read(pki.caCert), ...options }).catch(
      () => undefined,
    );
    return res?.status === 200;
  };

  it(`${expected.none ? 'accepts' : 'refuses'} a client without a certificate`, async () => {
    expect(await attempt({})).toBe(expected.none);
  });
  it(`${expected.rogue ? 'accepts' : 'refuses'} a certificate from an untrusted CA`, async () => {
    expect(await attempt({ cert: pki.read(pki.rogueCert), key: pki.read(pki.rogueKey) })).toBe(expected.rogue);
  });
  it('accepts a certificate from the client CA', async () => {
    expect(await attempt({ cert: pki.read(pki.clientCert), key: pki.read(pki.clientKey) })).toBe(expected.trusted);
  });
  it('needs no password without basic_auth_users', async () => {
    const res = await fetchUrl(`${h.exporter.url}/metrics`, {
      ca: pki.read(pki.caCert),
      cert: pki.read(pki.clientCert),
      key: pki.read(pki.clientKey),
    });
    expect(res.status).toBe(200);
  });
});

describe('min_version', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await serve(`${TLS}  min_version: TLS13\n`);
  });
  afterAll(() => h.close());

  it('refuses a TLS 1.2 client when min_version is TLS13 and accepts TLS 1.3', async () => {
    await expect(
      fetchUrl(`${h.exporter.url}/healthz`, { ca: pki.read(pki.caCert), maxVersion: 'TLSv1.2' }),
    ).rejects.toThrow();
    expect((await fetchUrl(`${h.exporter.url}/healthz`, { ca: pki.read(pki.caCert) })).status).toBe(200);
  });
});

describe('basic auth over plain http', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await serve(USERS);
  });
  afterAll(() => h.close());

  it('protects /metrics and leaves the probes open', async () => {
    expect(h.exporter.url).toMatch(/^http:/);
    expect((await fetchUrl(`${h.exporter.url}/metrics`)).status).toBe(401);
    expect((await fetchUrl(`${h.exporter.url}/metrics`, { auth: `alice:${HTPASSWD_PASSWORD}` })).status).toBe(200);
    expect((await fetchUrl(`${h.exporter.url}/healthz`)).status).toBe(200);
    expect((await fetchUrl(`${h.exporter.url}/readyz`)).status).not.toBe(401);
  });
});
