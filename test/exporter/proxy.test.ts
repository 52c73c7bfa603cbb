import { ACCOUNT_A, startHarness, type Harness } from '../support/exporter-harness';
import { eventually, startExporterProcess } from '../support/exporter-process';
import { fetchUrl } from '../support/https-request';
import { freePort } from '../support/ports';
import { runCli } from '../support/run-cli';
import { startStallingProxy, type StallingProxy } from '../support/stalling-proxy';

const PASSWORD = 'pr0xy-s3cret';

describe('a proxy that is down, named by --api.proxy-url', () => {
  let h: Harness;
  beforeAll(async () => {
    const port = await freePort();
    h = await startHarness(
      [ACCOUNT_A],
      (simulator) => [
        `--api.proxy-url=http://exporter:${PASSWORD}@127.0.0.1:${port}`,
        `--api.base-url=${simulator.baseUrl}`,
      ],
      {
        ITNIO_API_KEY: ACCOUNT_A.apiKey,
        ITNIO_API_SECRET: ACCOUNT_A.apiSecret,
        ITNIO_ACCOUNT: 'alpha',
      },
    );
    await eventually(() => (h.exporter.accounts.allAttempted() ? true : undefined), 'the first poll', 30_000);
  }, 60_000);
  afterAll(() => h?.close());

  test('is counted under reason="proxy", explained on the page, its password shown nowhere', async () => {
    const metrics = (await fetchUrl(`${h.exporter.url}/metrics`)).body;
    expect(metrics).toContain('itniotech_request_failures_total{account="alpha",reason="proxy"} 1');
    expect(metrics).toContain('itniotech_request_failures_total{account="alpha",reason="network"} 0');
    const status = JSON.parse((await fetchUrl(`${h.exporter.url}/api/v1/status`)).body) as {
      accounts: { lastError: { code: string; hint: string; detail: string } }[];
    };
    const error = status.accounts[0]?.lastError;
    expect(error).toMatchObject({
      code: 'proxy',
      hint: expect.stringContaining('HTTPS_PROXY/HTTP_PROXY'),
      detail: expect.stringMatching(/^proxy http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED/),
    });
    const page = (await fetchUrl(`${h.exporter.url}/`)).body;
    for (const text of [metrics, JSON.stringify(status), page]) expect(text).not.toContain(PASSWORD);
    expect(h.simulator.requestCount()).toBe(0);
  });
});

describe('a proxy that accepts and never answers CONNECT (the built exporter)', () => {
  let proxy: StallingProxy;
  const env = (): Record<string, string> => ({
    ITNIO_API_KEY: ACCOUNT_A.apiKey,
    ITNIO_API_SECRET: ACCOUNT_A.apiSecret,
    ITNIO_ACCOUNT: 'alpha',
    // Never reached: the proxy never opens the tunnel.
    ITNIO_BASE_URL: 'https://127.0.0.1:9/sms',
    HTTPS_PROXY: proxy.url,
  });
  beforeEach(async () => {
    proxy = await startStallingProxy();
  });
  afterEach(() => proxy.close());

  test('--check prints the timeout and exits', async () => {
    const run = await runCli(['--check', '--api.timeout=500ms'], env());
    expect(run).toMatchObject({ status: 1, stdout: expect.stringMatching(/alpha\s+FAILED\s+timeout/) });
    expect(proxy.accepted()).toBe(1);
  });

  test('SIGTERM during a pending CONNECT stops the process', async () => {
    const exporter = await startExporterProcess(['--api.timeout=60s'], env());
    await eventually(() => (proxy.openConnections() === 1 ? true : undefined), 'the CONNECT to arrive');
    const { code } = await exporter.stop('SIGTERM');
    expect(code).toBe(0);
    expect(exporter.logs().map((l) => l.msg)).toContain('stopped');
    expect(exporter.logs()[0]).toMatchObject({ proxy: `${proxy.url} for https (HTTPS_PROXY)` });
  });
});

describe('proxy URLs in the forms curl and Go accept, and the ones that cannot work', () => {
  const env = { ITNIO_API_KEY: ACCOUNT_A.apiKey, ITNIO_API_SECRET: ACCOUNT_A.apiSecret, ITNIO_ACCOUNT: 'alpha' };

  test('a scheme-less HTTPS_PROXY with a password is http://, and --check never shows the password', async () => {
    const port = await freePort();
    const run = await runCli(['--check', '--api.base-url=https://127.0.0.1:9/sms'], {
      ...env,
      https_proxy: '',
      HTTPS_PROXY: `exporter:${PASSWORD}@127.0.0.1:${port}`,
    });
    expect(run).toMatchObject({ status: 1 });
    expect(run.stdout).toMatch(new RegExp(`alpha\\s+FAILED\\s+proxy.*http://127\\.0\\.0\\.1:${port}: ECONNREFUSED`));
    expect(run.stdout + run.stderr).not.toContain(PASSWORD);
  });

  test('--config.check refuses a socks5:// HTTPS_PROXY, naming the variable and not the password', async () => {
    const run = await runCli(['--config.check'], {
      ...env,
      HTTPS_PROXY: `socks5://exporter:${PASSWORD}@127.0.0.1:1080`,
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(
      /HTTPS_PROXY: "socks5:\/\/\*\*\*@127\.0\.0\.1:1080" is not valid: socks5:\/\/ proxies are not supported/,
    );
    expect(run.stdout + run.stderr).not.toContain(PASSWORD);
  });
});
