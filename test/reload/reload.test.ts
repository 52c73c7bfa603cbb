import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { createTestPki, HTPASSWD_HASH, HTPASSWD_PASSWORD, type TestPki } from '../support/certs';
import { settingsNeedingRestart } from '../../src/reload/config-reloader';
import {
  ACCOUNT_A,
  ACCOUNT_B,
  ACCOUNT_C,
  closeBoth,
  idleScheduler,
  loadRunConfig,
  startHarness,
  type Harness,
} from '../support/exporter-harness';
import { fetchUrl, type FetchOptions } from '../support/https-request';
import { sampleValue } from '../support/prom-text';
import { eventually } from '../support/exporter-process';
import { startTlsFront, type TlsFront } from '../support/tls-fixture';
import { startExporter } from '../../src/exporter/start-exporter';
import { createLogger } from '../../src/log/logger';
import { startSimulator } from '../../src/simulator/simulator';

let dir: string;
let pki: TestPki;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'itnio-reload-'));
  pki = createTestPki();
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  pki.remove();
});

function accountsYaml(baseUrl: string, entries: Array<{ name: string; key: string; secretFile: string }>): string {
  const lines = entries.map(
    (e) =>
      `  - name: ${e.name}\n    api_key: ${e.key}\n    api_secret_file: ${e.secretFile}\n    base_url: ${baseUrl}\n`,
  );
  return `accounts:\n${lines.join('')}`;
}

async function metrics(h: Harness, options: FetchOptions = {}): Promise<string> {
  const res = await fetchUrl(`${h.exporter.url}/metrics`, options);
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
  return res.body;
}

async function ready(h: Harness, options: FetchOptions = {}): Promise<void> {
  await eventually(
    async () => ((await fetchUrl(`${h.exporter.url}/readyz`, options)).status === 200 ? true : undefined),
    'readiness',
  );
}

describe('reloading accounts (POST /-/reload)', () => {
  let h: Harness;
  const configFile = (): string => join(dir, 'accounts.yml');
  const secret = (name: string): string => join(dir, `${name}.secret`);

  beforeAll(async () => {
    // alpha starts with a wrong secret: a reload must re-read secret files.
    writeFileSync(secret('alpha'), 'not-the-secret\n');
    writeFileSync(secret('bravo'), `${ACCOUNT_B.apiSecret}\n`);
    writeFileSync(secret('charlie'), `${ACCOUNT_C.apiSecret}\n`);
    h = await startHarness([ACCOUNT_A, ACCOUNT_B, ACCOUNT_C], (simulator) => {
      writeFileSync(
        configFile(),
        accountsYaml(simulator.baseUrl, [
          { name: 'alpha', key: ACCOUNT_A.apiKey, secretFile: secret('alpha') },
          { name: 'bravo', key: ACCOUNT_B.apiKey, secretFile: secret('bravo') },
          { name: 'delta', key: ACCOUNT_C.apiKey, secretFile: secret('charlie') },
        ]),
      );
      return [`--config.file=${configFile()}`, '--web.enable-lifecycle'];
    });
    await ready(h);
  });
  afterAll(() => h.close());

  it('adds and removes accounts, keeps counters of kept ones and re-reads secret files', async () => {
    const before = await metrics(h);
    expect(sampleValue(before, 'itniotech_api_errors_total{account="alpha",status="-1"}')).toBe(1);
    expect(sampleValue(before, 'itniotech_requests_total{account="alpha"}')).toBe(1);
    expect(sampleValue(before, 'itniotech_up{account="bravo"}')).toBe(1);
    expect(sampleValue(before, 'itniotech_requests_total{account="bravo"}')).toBe(1);

    // alpha's secret file now holds the right secret; delta goes, charlie comes, bravo stays.
    writeFileSync(secret('alpha'), `${ACCOUNT_A.apiSecret}\n`);
    writeFileSync(
      configFile(),
      accountsYaml(h.simulator.baseUrl, [
        { name: 'alpha', key: ACCOUNT_A.apiKey, secretFile: secret('alpha') },
        { name: 'bravo', key: ACCOUNT_B.apiKey, secretFile: secret('bravo') },
        { name: 'charlie', key: ACCOUNT_C.apiKey, secretFile: secret('charlie') },
      ]),
    );
    const res = await fetchUrl(`${h.exporter.url}/-/reload`, { method: 'POST' });
    expect(res).toMatchObject({ status: 200, body: 'configuration reloaded\n' });

    const after = await eventually(async () => {
      const text = await metrics(h);
      const polled = ['alpha', 'charlie'].every((name) => sampleValue(text, `itniotech_up{account="${name}"}`) === 1);
      return polled ? text : undefined;
    }, 'the added account and the one with a new secret to be polled');
    expect(sampleValue(after, 'itniotech_balance{account="charlie"}')).toBe(ACCOUNT_C.balance);
    expect(after).not.toMatch(/account="delta"/);
    // Kept unchanged: not reset and not polled again by the reload.
    expect(sampleValue(after, 'itniotech_requests_total{account="bravo"}')).toBe(1);
    expect(h.simulator.requestCount(ACCOUNT_B.apiKey)).toBe(1);
    // A new secret is the same ITNIO account: polled at once (it is not backing off), its counters kept.
    expect(sampleValue(after, 'itniotech_balance{account="alpha"}')).toBe(ACCOUNT_A.balance);
    expect(sampleValue(after, 'itniotech_api_errors_total{account="alpha",status="-1"}')).toBe(1);
    expect(sampleValue(after, 'itniotech_requests_total{account="alpha"}')).toBe(2);
    expect(h.simulator.requestCount(ACCOUNT_A.apiKey)).toBe(2);
    expect(sampleValue(after, 'itniotech_exporter_config_last_reload_successful')).toBe(1);
  });

  it('refuses a bad configuration with 500 and its problems, without secrets, and keeps the running one', async () => {
    const before = await metrics(h);
    const inlineSecret = 'inline-secret-never-shown';
    writeFileSync(
      configFile(),
      `accounts:\n  - name: alpha\n    api_key: ${ACCOUNT_A.apiKey}\n    api_secret: ${inlineSecret}\n    base_url: ftp://example\n  - name: charlie\n    api_key: ${ACCOUNT_C.apiKey}\n    api_secret_file: ${join(dir, 'missing.secret')}\n`,
    );
    const res = await fetchUrl(`${h.exporter.url}/-/reload`, { method: 'POST' });
    expect(res.status).toBe(500);
    expect(res.body).toMatch(/^configuration reload failed; the running configuration stays:\n/);
    expect(res.body).toMatch(/accounts\[0\]\.base_url: "ftp:\/\/example" is not valid/);
    expect(res.body).toMatch(/accounts\[1\]\.api_secret_file: cannot read secret file .*missing\.secret" \(ENOENT\)/);
    for (const secretText of [inlineSecret, ACCOUNT_A.apiSecret, ACCOUNT_C.apiSecret, ACCOUNT_A.apiKey])
      expect(res.body).not.toContain(secretText);

    const after = await metrics(h);
    expect(sampleValue(after, 'itniotech_exporter_config_last_reload_successful')).toBe(0);
    const series = (text: string): string[] =>
      text.split('\n').filter((l) => /^itniotech_(up|balance|requests_total|api_errors_total)\{/.test(l));
    expect(series(after)).toEqual(series(before));
    expect((await fetchUrl(`${h.exporter.url}/readyz`)).status).toBe(200);
  });

  it('answers other methods with 405', async () => {
    const res = await fetchUrl(`${h.exporter.url}/-/reload`);
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('POST, PUT');
  });
});

describe('reloading an account name onto another ITNIO account', () => {
  let h: Harness;
  const configFile = (): string => join(dir, 'moved.yml');
  const secret = (name: string): string => join(dir, `moved-${name}.secret`);

  beforeAll(async () => {
    writeFileSync(secret('alpha'), `${ACCOUNT_A.apiSecret}\n`);
    writeFileSync(secret('bravo'), `${ACCOUNT_B.apiSecret}\n`);
    h = await startHarness([ACCOUNT_A, ACCOUNT_B], (simulator) => {
      writeFileSync(
        configFile(),
        accountsYaml(simulator.baseUrl, [{ name: 'shop', key: ACCOUNT_A.apiKey, secretFile: secret('alpha') }]),
      );
      return [`--config.file=${configFile()}`, '--web.enable-lifecycle'];
    });
    await ready(h);
    // A second poll, so the old account has a spend history worth dropping.
    await h.exporter.poller.pollAll();
  });
  afterAll(() => h.close());

  it('drops the old values, counters and history, polls the new one at once and invents no spend', async () => {
    const before = await metrics(h);
    expect(sampleValue(before, 'itniotech_balance{account="shop"}')).toBe(ACCOUNT_A.balance);
    expect(sampleValue(before, 'itniotech_requests_total{account="shop"}')).toBe(2);
    expect(h.exporter.accounts.points('shop')).toHaveLength(2);

    writeFileSync(
      configFile(),
      accountsYaml(h.simulator.baseUrl, [{ name: 'shop', key: ACCOUNT_B.apiKey, secretFile: secret('bravo') }]),
    );
    const res = await fetchUrl(`${h.exporter.url}/-/reload`, { method: 'POST' });
    expect(res.status).toBe(200);
    // At once, before the new account answers: nothing of the old account is left.
    expect(h.exporter.accounts.get('shop')).toEqual({ name: 'shop' });
    expect(h.exporter.accounts.points('shop')).toEqual([]);

    const after = await eventually(async () => {
      const text = await metrics(h);
      return sampleValue(text, 'itniotech_up{account="shop"}') === 1 ? text : undefined;
    }, 'the new account to be polled');
    expect(sampleValue(after, 'itniotech_balance{account="shop"}')).toBe(ACCOUNT_B.balance);
    expect(sampleValue(after, 'itniotech_requests_total{account="shop"}')).toBe(1);
    expect(h.simulator.requestCount(ACCOUNT_B.apiKey)).toBe(1);
    const status = JSON.parse((await fetchUrl(`${h.exporter.url}/api/v1/status`)).body) as {
      accounts: Array<{ name: string; balance: number; spendPerDay: number | null; chart: unknown[] }>;
    };
    expect(status.accounts).toEqual([
      expect.objectContaining({ name: 'shop', balance: ACCOUNT_B.balance, spendPerDay: null }),
    ]);
    expect(status.accounts[0]?.chart).toHaveLength(1);
  });
});

describe('/-/reload without --web.enable-lifecycle', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness([ACCOUNT_A], (simulator) => [`--api.base-url=${simulator.baseUrl}`], {
      ITNIO_API_KEY: ACCOUNT_A.apiKey,
      ITNIO_API_SECRET: ACCOUNT_A.apiSecret,
    });
  });
  afterAll(() => h.close());

  it('does not exist', async () => {
    for (const method of ['POST', 'PUT', 'GET'])
      expect((await fetchUrl(`${h.exporter.url}/-/reload`, { method })).status).toBe(404);
  });
});

describe('reloading the web config', () => {
  let h: Harness;
  const webFile = (): string => join(pki.dir, 'reload-web.yml');
  const tls = (cert: string, key: string): string => `tls_server_config:\n  cert_file: ${cert}\n  key_file: ${key}\n`;
  const users = (hash: string): string => `basic_auth_users:\n  alice: '${hash}'\n`;
  const client = (ca: string, auth: string): FetchOptions => ({ ca: pki.read(ca), auth });

  beforeAll(async () => {
    writeFileSync(webFile(), tls(pki.serverCert, pki.serverKey) + users(HTPASSWD_HASH));
    h = await startHarness(
      [ACCOUNT_A],
      (simulator) => [
        `--web.config.file=${webFile()}`,
        `--api.base-url=${simulator.baseUrl}`,
        '--web.enable-lifecycle',
      ],
      {
        ITNIO_API_KEY: ACCOUNT_A.apiKey,
        ITNIO_API_SECRET: ACCOUNT_A.apiSecret,
      },
    );
  });
  afterAll(() => h.close());

  it('swaps users (forgetting remembered passwords) and the server certificate', async () => {
    const old = client(pki.caCert, `alice:${HTPASSWD_PASSWORD}`);
    expect((await fetchUrl(`${h.exporter.url}/metrics`, old)).status).toBe(200);

    writeFileSync(webFile(), tls(pki.otherServerCert, pki.otherServerKey) + users(bcrypt.hashSync('new password', 4)));
    const res = await fetchUrl(`${h.exporter.url}/-/reload`, { ...old, method: 'POST' });
    expect(res).toMatchObject({ status: 200, body: 'configuration reloaded\n' });

    // The new certificate is signed by the other CA: a client trusting only the first one now fails.
    await expect(fetchUrl(`${h.exporter.url}/healthz`, old)).rejects.toThrow();
    expect(
      (await fetchUrl(`${h.exporter.url}/metrics`, client(pki.otherCaCert, `alice:${HTPASSWD_PASSWORD}`))).status,
    ).toBe(401);
    expect((await fetchUrl(`${h.exporter.url}/metrics`, client(pki.otherCaCert, 'alice:new password'))).status).toBe(
      200,
    );
  });

  it('keeps TLS and says a restart is needed when the file turns TLS off', async () => {
    writeFileSync(webFile(), users(HTPASSWD_HASH));
    const res = await fetchUrl(`${h.exporter.url}/-/reload`, {
      ...client(pki.otherCaCert, 'alice:new password'),
      method: 'POST',
    });
    expect(res).toMatchObject({
      status: 200,
      body: 'configuration reloaded\nchanged settings need a restart: tls_server_config (TLS on or off)\n',
    });
    expect((await fetchUrl(`${h.exporter.url}/healthz`, client(pki.otherCaCert, ''))).status).toBe(200);
    expect(
      (await fetchUrl(`${h.exporter.url}/metrics`, client(pki.otherCaCert, `alice:${HTPASSWD_PASSWORD}`))).status,
    ).toBe(200);
  });

  it('keeps the running web config when the new one is invalid', async () => {
    writeFileSync(
      webFile(),
      `${tls(pki.otherServerCert, pki.otherServerKey)}  cipher_suites: [TLS_RSA_WITH_RC4_128_SHA]\nbasic_auth_users:\n  alice: plain-password-typo\n`,
    );
    const res = await fetchUrl(`${h.exporter.url}/-/reload`, {
      ...client(pki.otherCaCert, `alice:${HTPASSWD_PASSWORD}`),
      method: 'POST',
    });
    expect(res.status).toBe(500);
    expect(res.body).toMatch(
      /tls_server_config\.cipher_suites: "TLS_RSA_WITH_RC4_128_SHA" is not valid: unknown cipher/,
    );
    expect(res.body).toMatch(/basic_auth_users\."alice": expected a bcrypt hash/);
    expect(res.body).not.toContain('plain-password-typo');
    expect(
      (await fetchUrl(`${h.exporter.url}/metrics`, client(pki.otherCaCert, `alice:${HTPASSWD_PASSWORD}`))).status,
    ).toBe(200);
  });
});

describe('settingsNeedingRestart', () => {
  const base = loadRunConfig([], { ITNIO_API_KEY: 'k', ITNIO_API_SECRET: 's' });
  it.each([
    [['--web.listen-address=:9999'], ['--web.listen-address']],
    [['--web.telemetry-path=/m'], ['--web.telemetry-path']],
    [['--poll.interval=30s'], ['--poll.interval / --poll.schedule']],
    [['--log.level=debug'], ['--log.level']],
    [['--web.enable-lifecycle'], ['--web.enable-lifecycle']],
    [[], []],
  ])('%j needs a restart for %j', (argv, expected) => {
    const next = loadRunConfig(argv, {
      ITNIO_API_KEY: 'other-key',
      ITNIO_API_SECRET: 'other',
      ITNIO_ACCOUNT: 'renamed',
    });
    expect(settingsNeedingRestart(base, next)).toEqual(expected);
  });
});

describe('a changed --api.ca-file on reload (issue 19 item 4)', () => {
  let pki: TestPki;
  let front: TlsFront;
  let h: Harness;
  let caFile: string;

  beforeAll(async () => {
    pki = createTestPki();
    caFile = join(pki.dir, 'api-ca.pem');
    // ITNIO's certificate comes from the second CA; the CA file trusts only the first, for now.
    writeFileSync(caFile, pki.read(pki.caCert));
    const simulator = await startSimulator({ accounts: [ACCOUNT_A] });
    front = await startTlsFront({ keyFile: pki.otherServerKey, certFile: pki.otherServerCert }, simulator.url);
    const args = [
      '--web.listen-address=127.0.0.1:0',
      '--poll.interval=1m',
      '--collector.numbers',
      `--api.ca-file=${caFile}`,
    ];
    const env = {
      ITNIO_API_KEY: ACCOUNT_A.apiKey,
      ITNIO_API_SECRET: ACCOUNT_A.apiSecret,
      ITNIO_BASE_URL: `${front.url}/sms`,
    };
    const exporter = await startExporter(loadRunConfig(args, env), {
      logger: createLogger('silent'),
      scheduler: idleScheduler,
      reloadConfig: () => loadRunConfig(args, env),
    });
    h = { simulator, exporter, close: () => closeBoth(exporter, simulator) };
  });
  afterAll(async () => {
    await h?.close();
    await front?.close();
    pki?.remove();
  });

  test('polls use the new CA after the reload, without a restart', async () => {
    await h.exporter.poller.pollAll();
    await h.exporter.poller.pollAll('numbers');
    const refused = await metrics(h);
    expect(sampleValue(refused, 'itniotech_up{account="default"}')).toBe(0);
    expect(sampleValue(refused, 'itniotech_numbers_up{account="default"}')).toBe(0);
    expect(sampleValue(refused, 'itniotech_request_failures_total{account="default",reason="network"}')).toBe(1);

    writeFileSync(caFile, pki.read(pki.otherCaCert));
    const result = await h.exporter.reload('test');
    expect(result).toMatchObject({ ok: true, needsRestart: [] });
    await h.exporter.poller.pollAll();
    await h.exporter.poller.pollAll('numbers');
    const trusted = await metrics(h);
    expect(sampleValue(trusted, 'itniotech_up{account="default"}')).toBe(1);
    expect(sampleValue(trusted, 'itniotech_numbers_up{account="default"}')).toBe(1);
    expect(sampleValue(trusted, 'itniotech_balance{account="default"}')).toBe(ACCOUNT_A.balance);
  });
});
