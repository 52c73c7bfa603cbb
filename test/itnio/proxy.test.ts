import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Account } from '../../src/config/account';
import { createBalanceClient } from '../../src/itnio/client';
import { failureReasonWords } from '../../src/itnio/failures';
import { bypassesProxy, proxyFor, proxyForDisplay } from '../../src/itnio/proxy';
import { startSimulator, type Simulator } from '../../src/simulator/simulator';
import { describeUnlessMissing, hasBinary } from '../support/binaries';
import { eventually } from '../support/exporter-process';
import { freePort } from '../support/ports';
import { startStallingProxy, type StallingProxy } from '../support/stalling-proxy';
import { makeSelfSignedCert, startTlsFront, type TlsFront } from '../support/tls-fixture';
import { startTinyproxy, type Tinyproxy } from '../support/tinyproxy';

const KEY = 'proxyKey1';
const SECRET = 'proxy-test-secret';
const PROXY_PASSWORD = 'pr0xy-pa55word';

describe('which proxy a request takes', () => {
  const api = new URL('https://api.itniotech.com/sms/getBalance');
  test.each([
    ['HTTPS_PROXY for https', { HTTPS_PROXY: 'http://p:3128' }, 'http://p:3128'],
    ['lower case wins', { HTTPS_PROXY: 'http://upper:1', https_proxy: 'http://lower:2' }, 'http://lower:2'],
    ['HTTP_PROXY is not for https', { HTTP_PROXY: 'http://p:3128' }, undefined],
    ['NO_PROXY with the host', { HTTPS_PROXY: 'http://p:3128', NO_PROXY: 'localhost,api.itniotech.com' }, undefined],
    ['NO_PROXY with a domain suffix', { https_proxy: 'http://p:3128', no_proxy: '.itniotech.com' }, undefined],
    ['NO_PROXY with *.', { https_proxy: 'http://p:3128', no_proxy: '*.itniotech.com' }, undefined],
    [
      'NO_PROXY with another port',
      { https_proxy: 'http://p:3128', no_proxy: 'api.itniotech.com:8443' },
      'http://p:3128',
    ],
    ['NO_PROXY with the port', { https_proxy: 'http://p:3128', no_proxy: 'api.itniotech.com:443' }, undefined],
    ['NO_PROXY *', { https_proxy: 'http://p:3128', no_proxy: '*' }, undefined],
    ['NO_PROXY of another host', { https_proxy: 'http://p:3128', no_proxy: 'itniotech.com.evil' }, 'http://p:3128'],
    [
      'an empty lower-case variable does not hide the upper-case one',
      { https_proxy: '', HTTPS_PROXY: 'http://u:1' },
      'http://u:1',
    ],
    [
      'an empty lower-case no_proxy does not hide NO_PROXY',
      { HTTPS_PROXY: 'http://p:1', no_proxy: '', NO_PROXY: '*' },
      undefined,
    ],
    ['a scheme-less value is http://, as in curl and Go', { HTTPS_PROXY: 'u:pw@p:3128' }, 'http://u:pw@p:3128'],
  ])('%s', (_, env, expected) => {
    expect(proxyFor(api, { env })).toBe(expected);
  });

  test('--api.proxy-url overrides the variables; NO_PROXY still applies', () => {
    expect(proxyFor(api, { proxyUrl: 'http://flag:1', env: { HTTPS_PROXY: 'http://env:2' } })).toBe('http://flag:1');
    expect(
      proxyFor(new URL('http://127.0.0.1:9/sms'), { proxyUrl: 'http://flag:1', env: { NO_PROXY: '127.0.0.1' } }),
    ).toBeUndefined();
    expect(bypassesProxy(new URL('http://[::1]:9/'), '::1')).toBe(true);
  });

  test('a proxy URL is shown without its credentials', () => {
    expect(proxyForDisplay(`http://user:${PROXY_PASSWORD}@proxy.example:3128`)).toBe('http://proxy.example:3128');
    for (const url of [`user:${PROXY_PASSWORD}@proxy.example:3128`, `socks5://user:${PROXY_PASSWORD}@proxy:1080`])
      expect(proxyForDisplay(url)).not.toContain(PROXY_PASSWORD);
  });
});

/** The simulator behind a TLS front whose self-signed certificate for 127.0.0.1 is trusted through `caFile`. */
async function startTlsApi(prefix: string) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const simulator = await startSimulator({
    accounts: [{ apiKey: KEY, apiSecret: SECRET, balance: 12.5, gift: 1, credit: 0, spendPerHour: 0 }],
  });
  const cert = makeSelfSignedCert(dir);
  const front = await startTlsFront(cert, simulator.url);
  const close = async (): Promise<void> => {
    await front.close();
    await simulator.close();
    rmSync(dir, { recursive: true, force: true });
  };
  return { dir, simulator, front, caFile: cert.certFile, close };
}

const missing = hasBinary('tinyproxy') && hasBinary('openssl') ? [] : ['tinyproxy or openssl not installed'];

describeUnlessMissing(missing, 'polls through a real tinyproxy on loopback', () => {
  let api: Awaited<ReturnType<typeof startTlsApi>> | undefined;
  let simulator: Simulator;
  let front: TlsFront;
  let caFile: string;
  let open: Tinyproxy;
  let authed: Tinyproxy;

  beforeAll(async () => {
    api = await startTlsApi('itniotech-proxy-');
    ({ simulator, front, caFile } = api);
    const { dir } = api;
    open = await startTinyproxy(dir);
    authed = await startTinyproxy(dir, { user: 'exporter', password: PROXY_PASSWORD });
  });
  afterAll(async () => {
    await open?.close();
    await authed?.close();
    await api?.close();
  });

  const account = (baseUrl: string): Account => ({ name: 'shop', apiKey: KEY, apiSecret: SECRET, baseUrl });
  const success = { kind: 'success', balance: 12.5, gift: 1, credit: 0 };

  test.each([
    ['http://, no proxy auth', 'http', false],
    ['http://, with proxy auth', 'http', true],
    ['https:// (CONNECT), no proxy auth', 'https', false],
    ['https:// (CONNECT), with proxy auth', 'https', true],
  ] as const)('%s', async (_, scheme, withAuth) => {
    const proxy = withAuth ? authed : open;
    const baseUrl = scheme === 'https' ? `${front.url}/sms` : simulator.baseUrl;
    const env = scheme === 'https' ? { HTTPS_PROXY: proxy.url } : { http_proxy: proxy.url };
    const client = createBalanceClient({ timeoutMs: 5000, caFile, proxy: { env } });
    const before = proxy.log();
    await expect(client.fetchBalance(account(baseUrl))).resolves.toEqual(success);
    const logged = proxy.log().slice(before.length);
    const port = new URL(baseUrl).port;
    if (scheme === 'https') {
      // A tunnel: the proxy saw the host and port, never the path or the signed headers.
      expect(logged).toMatch(new RegExp(`CONNECT 127\\.0\\.0\\.1:${port}`));
      expect(logged).not.toContain('getBalance');
    } else {
      expect(logged).toMatch(new RegExp(`GET http://127\\.0\\.0\\.1:${port}/sms/getBalance`));
    }
  });

  test('the tunnel still verifies the API certificate: without --api.ca-file the self-signed stand-in is refused', async () => {
    const client = createBalanceClient({ timeoutMs: 5000, proxy: { env: { HTTPS_PROXY: open.url } } });
    const outcome = await client.fetchBalance(account(`${front.url}/sms`));
    expect(outcome).toMatchObject({ kind: 'failure', reason: 'network' });
    expect(JSON.stringify(outcome)).toMatch(/self.signed|certificate/i);
  });

  test('NO_PROXY sends the request directly', async () => {
    const client = createBalanceClient({
      timeoutMs: 5000,
      caFile,
      proxy: { env: { HTTPS_PROXY: open.url, HTTP_PROXY: open.url, NO_PROXY: '127.0.0.1' } },
    });
    const before = open.log();
    await expect(client.fetchBalance(account(`${front.url}/sms`))).resolves.toEqual(success);
    await expect(client.fetchBalance(account(simulator.baseUrl))).resolves.toEqual(success);
    expect(open.log().slice(before.length)).not.toMatch(/CONNECT|GET http/);
  });

  test.each(['http', 'https'] as const)(
    'a wrong proxy password is a proxy failure with its hint, and the password is shown nowhere (%s)',
    async (scheme) => {
      const wrong = authed.url.replace(PROXY_PASSWORD, 'not-the-password');
      const baseUrl = scheme === 'https' ? `${front.url}/sms` : simulator.baseUrl;
      const client = createBalanceClient({ timeoutMs: 5000, caFile, proxy: { proxyUrl: wrong } });
      const outcome = await client.fetchBalance(account(baseUrl));
      expect(outcome).toEqual({
        kind: 'failure',
        reason: 'proxy',
        detail: expect.stringContaining(`proxy http://127.0.0.1:${authed.port}`),
      });
      expect(JSON.stringify(outcome)).not.toContain('not-the-password');
      expect(failureReasonWords('proxy').hint).toMatch(/HTTPS_PROXY.*NO_PROXY/);
    },
  );

  test.each(['http', 'https'] as const)(
    'a proxy that is down is a proxy failure, its credentials not shown (%s)',
    async (scheme) => {
      const down = `http://exporter:${PROXY_PASSWORD}@127.0.0.1:${await freePort()}`;
      const baseUrl = scheme === 'https' ? `${front.url}/sms` : simulator.baseUrl;
      const client = createBalanceClient({
        timeoutMs: 5000,
        caFile,
        proxy: { env: { HTTPS_PROXY: down, HTTP_PROXY: down } },
      });
      const outcome = await client.fetchBalance(account(baseUrl));
      expect(outcome).toMatchObject({
        kind: 'failure',
        reason: 'proxy',
        detail: expect.stringMatching(/ECONNREFUSED/),
      });
      expect(JSON.stringify(outcome)).not.toContain(PROXY_PASSWORD);
      expect(JSON.stringify(outcome)).not.toContain('exporter:');
    },
  );
});

describeUnlessMissing(
  hasBinary('openssl') ? [] : ['openssl not installed'],
  'a proxy that accepts and never answers CONNECT',
  () => {
    let api: Awaited<ReturnType<typeof startTlsApi>> | undefined;
    let front: TlsFront;
    let caFile: string;
    let proxy: StallingProxy;

    beforeAll(async () => {
      api = await startTlsApi('itniotech-stall-');
      ({ front, caFile } = api);
    });
    beforeEach(async () => {
      proxy = await startStallingProxy();
    });
    afterEach(() => proxy.close());
    afterAll(() => api?.close());

    const account = (): Account => ({ name: 'shop', apiKey: KEY, apiSecret: SECRET, baseUrl: `${front.url}/sms` });

    test('each poll ends within the timeout, frees its socket, and polling recovers with the proxy', async () => {
      const client = createBalanceClient({ timeoutMs: 300, caFile, proxy: { env: { HTTPS_PROXY: proxy.url } } });
      // Three poll cycles of 30 (--poll.concurrency is at most 64): before the fix each pending
      // CONNECT kept its socket, and after 64 of them the agent had no slot left for any request.
      for (let cycle = 0; cycle < 3; cycle++) {
        const outcomes = await Promise.all(Array.from({ length: 30 }, () => client.fetchBalance(account())));
        for (const outcome of outcomes) expect(outcome).toMatchObject({ kind: 'failure', reason: 'timeout' });
      }
      await eventually(() => (proxy.openConnections() === 0 ? true : undefined), 'the proxy sockets to close');
      proxy.recover();
      await expect(client.fetchBalance(account())).resolves.toEqual({
        kind: 'success',
        balance: 12.5,
        gift: 1,
        credit: 0,
      });
    });

    test('a shutdown abort frees the pending CONNECT at once', async () => {
      const client = createBalanceClient({ timeoutMs: 60_000, caFile, proxy: { proxyUrl: proxy.url } });
      const shutdown = new AbortController();
      const pending = client.fetchBalance(account(), shutdown.signal);
      await eventually(() => (proxy.openConnections() === 1 ? true : undefined), 'the CONNECT to arrive');
      shutdown.abort();
      await expect(pending).resolves.toEqual({ kind: 'aborted' });
      await eventually(() => (proxy.openConnections() === 0 ? true : undefined), 'the proxy socket to close');
    });

    test('a proxy hanging up during CONNECT is a proxy failure', async () => {
      proxy.closeDuringConnect();
      const client = createBalanceClient({ timeoutMs: 5000, caFile, proxy: { proxyUrl: proxy.url } });
      await expect(client.fetchBalance(account())).resolves.toMatchObject({
        kind: 'failure',
        reason: 'proxy',
        detail: expect.stringContaining(`proxy ${proxy.url}`),
      });
    });

    test('a proxy whose own TLS fails (an https:// URL for a plain-text proxy) is a proxy failure', async () => {
      proxy.answerPlainText();
      const proxyUrl = proxy.url.replace('http:', 'https:');
      const client = createBalanceClient({ timeoutMs: 5000, caFile, proxy: { proxyUrl } });
      await expect(client.fetchBalance(account())).resolves.toMatchObject({
        kind: 'failure',
        reason: 'proxy',
        detail: expect.stringContaining(`proxy ${proxyUrl}`),
      });
    });
  },
);
