import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Account } from '../../src/config/account';
import { createBalanceClient } from '../../src/itnio/client';
import { failureReasonWords } from '../../src/itnio/failures';
import { bypassesProxy, proxyFor, proxyForDisplay } from '../../src/itnio/proxy';
import { startSimulator, type Simulator } from '../../src/simulator/simulator';
import { describeUnlessMissing, hasBinary } from '../support/binaries';
import { freePort } from '../support/ports';
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
  });
});

const missing = hasBinary('tinyproxy') && hasBinary('openssl') ? [] : ['tinyproxy or openssl not installed'];

describeUnlessMissing(missing, 'polls through a real tinyproxy on loopback', () => {
  let dir: string;
  let simulator: Simulator;
  let front: TlsFront;
  let caFile: string;
  let open: Tinyproxy;
  let authed: Tinyproxy;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'itniotech-proxy-'));
    simulator = await startSimulator({
      accounts: [{ apiKey: KEY, apiSecret: SECRET, balance: 12.5, gift: 1, credit: 0, spendPerHour: 0 }],
    });
    const cert = makeSelfSignedCert(dir);
    caFile = cert.certFile;
    front = await startTlsFront(cert, simulator.url);
    open = await startTinyproxy(dir);
    authed = await startTinyproxy(dir, { user: 'exporter', password: PROXY_PASSWORD });
  });
  afterAll(async () => {
    await open?.close();
    await authed?.close();
    await front?.close();
    await simulator?.close();
    rmSync(dir, { recursive: true, force: true });
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
