import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startExporter, type RunningExporter } from '../../src/exporter/start-exporter';
import { createLogger } from '../../src/log/logger';
import { startSimulator, type Simulator } from '../../src/simulator/simulator';
import { ACCOUNT_A, idleScheduler, loadRunConfig } from '../support/exporter-harness';
import { fetchUrl } from '../support/https-request';
import { sampleValue } from '../support/prom-text';

/** Where the upstream's redirect points: it records whatever reaches it. */
async function startRedirectTarget(): Promise<{
  url: string;
  received: IncomingHttpHeaders[];
  close(): Promise<void>;
}> {
  const received: IncomingHttpHeaders[] = [];
  const server: Server = createServer((req, res) => {
    received.push(req.headers);
    res
      .writeHead(200, { 'Content-Type': 'application/json' })
      .end('{"status":"0","reason":"success","balance":"1","gift":"0","credit":"0"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/sms/getBalance`,
    received,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('a redirect from the API', () => {
  let target: Awaited<ReturnType<typeof startRedirectTarget>>;
  let simulator: Simulator;
  let exporter: RunningExporter;

  beforeAll(async () => {
    target = await startRedirectTarget();
    simulator = await startSimulator({ accounts: [ACCOUNT_A], redirectTo: target.url });
    simulator.update(ACCOUNT_A.apiKey, { fault: 'redirect' });
    const config = loadRunConfig(
      ['--web.listen-address=127.0.0.1:0', `--api.base-url=${simulator.baseUrl}`, '--log.level=silent'],
      {
        ITNIO_API_KEY: ACCOUNT_A.apiKey,
        ITNIO_API_SECRET: ACCOUNT_A.apiSecret,
      },
    );
    exporter = await startExporter(config, { logger: createLogger('silent'), scheduler: idleScheduler });
  });
  afterAll(async () => {
    await exporter.close();
    await simulator.close();
    await target.close();
  });

  it('is counted as http_status and never followed, so the signed headers go nowhere else', async () => {
    // The start-up poll and at least one more, each answered with 302 to the target.
    await exporter.poller.pollAll();
    await exporter.poller.pollAll();
    const text = (await fetchUrl(`${exporter.url}/metrics`)).body;

    expect(simulator.requestCount(ACCOUNT_A.apiKey)).toBeGreaterThanOrEqual(2);
    expect(target.received).toHaveLength(0);
    expect(sampleValue(text, 'itniotech_request_failures_total{account="default",reason="http_status"}')).toBe(
      simulator.requestCount(ACCOUNT_A.apiKey),
    );
    expect(sampleValue(text, 'itniotech_up{account="default"}')).toBe(0);
    expect(sampleValue(text, 'itniotech_balance{account="default"}')).toBeUndefined();
    expect(exporter.accounts.list()[0]?.lastError).toMatchObject({ code: 'http_status', detail: 'HTTP 302' });
  });

  it('the target would have answered: following the redirect is what the test rules out', async () => {
    const res = await fetchUrl(target.url);
    expect(res.status).toBe(200);
    expect(target.received).toHaveLength(1);
    target.received.length = 0;
  });
});
