import { ACCOUNT_A, startHarness, type Harness } from '../support/exporter-harness';
import { fetchUrl } from '../support/https-request';
import { eventually } from '../support/exporter-process';
import { freePort } from '../support/ports';

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
