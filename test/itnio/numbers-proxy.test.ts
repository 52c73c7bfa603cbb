import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNumbersClient } from '../../src/itnio/numbers-client';
import { startSimulator, type Simulator } from '../../src/simulator/simulator';
import { describeUnlessMissing, hasBinary } from '../support/binaries';
import { makeSelfSignedCert, startTlsFront, type TlsFront } from '../support/tls-fixture';
import { startTinyproxy, type Tinyproxy } from '../support/tinyproxy';

/** number/queryPage takes the same proxy, TLS and redirect rules as getBalance (issue 18). */

const KEY = 'numProxy1';
const SECRET = 'num-proxy-secret';
const PROXY_PASSWORD = 'num-pr0xy-pa55';
const missing = hasBinary('tinyproxy') && hasBinary('openssl') ? [] : ['tinyproxy or openssl not installed'];

describeUnlessMissing(missing, 'numbers through a real tinyproxy, over TLS', () => {
  let dir: string;
  let simulator: Simulator;
  let front: TlsFront;
  let caFile: string;
  let authed: Tinyproxy;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'itniotech-numbers-proxy-'));
    simulator = await startSimulator({
      accounts: [
        {
          apiKey: KEY,
          apiSecret: SECRET,
          balance: 1,
          gift: 0,
          credit: 0,
          spendPerHour: 0,
          numbers: [{ number: '447700900001', state: 3, dueDate: '2027-01-01' }],
        },
      ],
    });
    const cert = makeSelfSignedCert(dir);
    caFile = cert.certFile;
    front = await startTlsFront(cert, simulator.url);
    authed = await startTinyproxy(dir, { user: 'exporter', password: PROXY_PASSWORD });
  });
  afterAll(async () => {
    await authed?.close();
    await front?.close();
    await simulator?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const fetchVia = (proxyUrl: string, withCa: boolean) =>
    createNumbersClient({
      timeoutMs: 5000,
      dueDateUtcOffsetMinutes: 480,
      ...(withCa ? { caFile } : {}),
      proxy: { env: {}, proxyUrl },
    }).fetchNumbers({ apiKey: KEY, apiSecret: SECRET, baseUrl: `${front.url}/sms` });

  test('an https POST goes through a CONNECT tunnel with proxy auth; the proxy never sees the path', async () => {
    const before = authed.log();
    const outcome = await fetchVia(authed.url, true);
    expect(outcome).toMatchObject({ kind: 'success', total: 1, requests: 1 });
    const logged = authed.log().slice(before.length);
    expect(logged).toMatch(new RegExp(`CONNECT 127\\.0\\.0\\.1:${new URL(front.url).port}`));
    expect(logged).not.toContain('queryPage');
  });

  test('the tunnel verifies the API certificate: without the CA the stand-in is refused', async () => {
    expect(await fetchVia(authed.url, false)).toMatchObject({ kind: 'failure', reason: 'network' });
  });

  test('a wrong proxy password is a proxy failure that never shows the password', async () => {
    const wrong = authed.url.replace(PROXY_PASSWORD, 'not-the-password');
    const outcome = await fetchVia(wrong, true);
    expect(outcome).toMatchObject({ kind: 'failure', reason: 'proxy' });
    expect(JSON.stringify(outcome)).not.toContain('not-the-password');
    expect(JSON.stringify(outcome)).not.toContain(PROXY_PASSWORD);
  });
});
