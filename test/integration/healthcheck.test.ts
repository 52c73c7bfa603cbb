import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTestPki, HTPASSWD_HASH, type TestPki } from '../support/certs';
import { ACCOUNT_A, startHarness, type Harness } from '../support/exporter-harness';
import { assertBuilt, ROOT } from '../support/exporter-process';

/** Runs the container health probe (the Dockerfile's HEALTHCHECK) with the given environment and flags. */
function probe(env: Record<string, string>, args: string[] = []): Promise<number | null> {
  assertBuilt();
  return new Promise((resolve) => {
    const script = join(ROOT, 'dist', 'healthcheck.js');
    const child = spawn(process.execPath, [script, ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: 'ignore',
    });
    child.on('exit', (code) => resolve(code));
  });
}

const portOf = (url: string): string => new URL(url).port;

describe('dist/healthcheck.js', () => {
  let pki: TestPki;
  beforeAll(() => {
    pki = createTestPki();
  });
  afterAll(() => pki.remove());

  /** Writes `yaml` as a web config file and starts an exporter on it (one account from the environment). */
  async function startWithWebConfig(name: string, yaml: string): Promise<{ webConfig: string; harness: Harness }> {
    const webConfig = join(pki.dir, name);
    writeFileSync(webConfig, yaml);
    const harness = await startHarness(
      [ACCOUNT_A],
      (s) => [`--api.base-url=${s.baseUrl}`, `--web.config.file=${webConfig}`],
      {
        ITNIO_API_KEY: ACCOUNT_A.apiKey,
        ITNIO_API_SECRET: ACCOUNT_A.apiSecret,
      },
    );
    return { webConfig, harness };
  }

  test('exits 0 for a plain-http exporter, 1 when nothing listens there', async () => {
    const harness: Harness = await startHarness([ACCOUNT_A], (s) => [`--api.base-url=${s.baseUrl}`], {
      ITNIO_API_KEY: ACCOUNT_A.apiKey,
      ITNIO_API_SECRET: ACCOUNT_A.apiSecret,
    });
    const port = portOf(harness.exporter.url);
    try {
      expect(await probe({ ITNIO_LISTEN_ADDRESS: `:${port}` })).toBe(0);
    } finally {
      await harness.close();
    }
    expect(await probe({ ITNIO_LISTEN_ADDRESS: `127.0.0.1:${port}` })).toBe(1);
  });

  test('with several listen addresses, probes the first (flags, or the comma-separated variable)', async () => {
    const harness: Harness = await startHarness([ACCOUNT_A], (s) => [`--api.base-url=${s.baseUrl}`], {
      ITNIO_API_KEY: ACCOUNT_A.apiKey,
      ITNIO_API_SECRET: ACCOUNT_A.apiSecret,
    });
    const port = portOf(harness.exporter.url);
    try {
      expect(await probe({}, [`--web.listen-address=127.0.0.1:${port}`, '--web.listen-address=[::1]:1'])).toBe(0);
      expect(await probe({ ITNIO_LISTEN_ADDRESS: `127.0.0.1:${port},[::1]:1` })).toBe(0);
      expect(await probe({}, ['--web.listen-address=[::1]:1', `--web.listen-address=127.0.0.1:${port}`])).toBe(1);
    } finally {
      await harness.close();
    }
  });

  // Without flags of its own the probe reads those of PID 1 (the exporter, in a container): the image test covers that.
  test('takes the listen address and web config from its own flags, which win over the environment', async () => {
    const { webConfig, harness } = await startWithWebConfig(
      'flag-web.yml',
      `tls_server_config:\n  cert_file: ${pki.serverCert}\n  key_file: ${pki.serverKey}\n`,
    );
    try {
      const flags = [
        `--web.listen-address=127.0.0.1:${portOf(harness.exporter.url)}`,
        '--web.config.file',
        webConfig,
        '--poll.interval=5s',
      ];
      expect(await probe({ ITNIO_LISTEN_ADDRESS: '127.0.0.1:1' }, flags)).toBe(0);
      expect(await probe({}, flags.slice(0, 1))).toBe(1);
    } finally {
      await harness.close();
    }
  });

  test('stays on plain HTTP with a basic-auth-only web config (/healthz needs no password)', async () => {
    const { webConfig, harness } = await startWithWebConfig(
      'auth-only-web.yml',
      `basic_auth_users:\n  prometheus: '${HTPASSWD_HASH}'\n`,
    );
    try {
      expect(
        await probe({ ITNIO_LISTEN_ADDRESS: `:${portOf(harness.exporter.url)}`, ITNIO_WEB_CONFIG_FILE: webConfig }),
      ).toBe(0);
    } finally {
      await harness.close();
    }
  });

  test('speaks HTTPS when the web config turns TLS on', async () => {
    const { webConfig, harness } = await startWithWebConfig(
      'health-web.yml',
      `tls_server_config:\n  cert_file: ${pki.serverCert}\n  key_file: ${pki.serverKey}\n`,
    );
    try {
      const port = portOf(harness.exporter.url);
      expect(harness.exporter.url.startsWith('https://')).toBe(true);
      expect(await probe({ ITNIO_LISTEN_ADDRESS: `:${port}`, ITNIO_WEB_CONFIG_FILE: webConfig })).toBe(0);
      // Plain HTTP against the TLS port is not healthy.
      expect(await probe({ ITNIO_LISTEN_ADDRESS: `:${port}` })).toBe(1);
      // --probe.tls: HTTPS with no web config to read (the Helm chart's test pod mounts none).
      expect(await probe({}, [`--web.listen-address=127.0.0.1:${port}`, '--probe.tls'])).toBe(0);
    } finally {
      await harness.close();
    }
  });

  // promtool accepts these, and the exporter serves them as plain HTTP: the probe must agree (issue 11, item 9).
  test.each([
    ['an empty tls_server_config', 'tls_server_config: {}\n'],
    ['a tls_server_config with only min_version', 'tls_server_config:\n  min_version: TLS12\n'],
  ])('stays on plain HTTP with %s, as the server does', async (_what, yaml) => {
    const { webConfig, harness } = await startWithWebConfig(`no-tls-${yaml.length}.yml`, yaml);
    try {
      expect(harness.exporter.url.startsWith('http://')).toBe(true);
      expect(
        await probe({ ITNIO_LISTEN_ADDRESS: `:${portOf(harness.exporter.url)}`, ITNIO_WEB_CONFIG_FILE: webConfig }),
      ).toBe(0);
    } finally {
      await harness.close();
    }
  });
});
