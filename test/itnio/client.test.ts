import { createServer, type Server } from 'node:http';
import { gzipSync } from 'node:zlib';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import type { Account } from '../../src/config/account';
import { createBalanceClient } from '../../src/itnio/client';
import { startSimulator, type Fault, type Simulator } from '../../src/simulator/simulator';

const KEY = 'cliKey01';
const SECRET = 'client-test-secret';

describe('createBalanceClient against the simulator', () => {
  let simulator: Simulator;
  let account: Account;
  // A limit no answer of the local simulator comes near, however loaded the machine; the cases
  // that must time out (a hanging or dripping server) use a short one, which they reach anyway.
  const client = createBalanceClient({ timeoutMs: 10_000 });
  const timingOut = createBalanceClient({ timeoutMs: 800 });

  beforeAll(async () => {
    simulator = await startSimulator({
      accounts: [{ apiKey: KEY, apiSecret: SECRET, balance: 99.99, gift: 50, credit: 0, spendPerHour: 0 }],
    });
    account = { name: 'shop', apiKey: KEY, apiSecret: SECRET, baseUrl: simulator.baseUrl };
  });
  afterAll(() => simulator.close());
  afterEach(() => simulator.update(KEY, { fault: null, failStatus: null }));

  test('a signed request gets the balance', async () => {
    await expect(client.fetchBalance(account)).resolves.toEqual({
      kind: 'success',
      balance: 99.99,
      gift: 50,
      credit: 0,
    });
    // A trailing slash on the base URL makes no difference.
    await expect(client.fetchBalance({ ...account, baseUrl: `${simulator.baseUrl}/` })).resolves.toMatchObject({
      kind: 'success',
    });
  });

  test('a wrong secret is an API error -1', async () => {
    await expect(client.fetchBalance({ ...account, apiSecret: 'wrong' })).resolves.toMatchObject({
      kind: 'api_error',
      status: '-1',
    });
  });

  test.each(['-2', '-10', '-12', '-13', '-15', '-18', '-29', '-30', '-31', '-32', '-77'])(
    'status %s is an API error carrying the code and the server date',
    async (status) => {
      simulator.update(KEY, { failStatus: status });
      const outcome = await client.fetchBalance(account);
      expect(outcome).toMatchObject({ kind: 'api_error', status });
      expect(outcome.kind === 'api_error' && outcome.serverDate instanceof Date).toBe(true);
    },
  );

  test('a local clock an hour ahead gets -16', async () => {
    const skewed = createBalanceClient({ timeoutMs: 10_000, now: () => Date.now() + 3_600_000 });
    await expect(skewed.fetchBalance(account)).resolves.toMatchObject({ kind: 'api_error', status: '-16' });
  });

  test.each<[Fault, string]>([
    ['http500', 'http_status'],
    ['http429', 'http_status'],
    ['redirect', 'http_status'],
    ['html', 'invalid_response'],
    ['truncated', 'invalid_response'],
    ['empty', 'invalid_response'],
    ['missing_field', 'invalid_response'],
    ['not_a_number', 'invalid_response'],
    ['huge', 'invalid_response'],
    ['hang', 'timeout'],
    ['slow_drip', 'timeout'],
    ['reset', 'network'],
  ])('fault %s is a %s failure', async (fault, reason) => {
    simulator.update(KEY, { fault });
    const outcome = (reason === 'timeout' ? timingOut : client).fetchBalance(account);
    await expect(outcome).resolves.toMatchObject({ kind: 'failure', reason });
  });

  test('nothing listening is a network failure', async () => {
    const closed = await new Promise<Server>((resolve) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => resolve(s));
    });
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    await expect(client.fetchBalance({ ...account, baseUrl: `http://127.0.0.1:${port}/sms` })).resolves.toMatchObject({
      kind: 'failure',
      reason: 'network',
    });
  });

  test('a redirect is never followed, so the signed headers never reach the target', async () => {
    let reached = 0;
    const target = await new Promise<Server>((resolve) => {
      const s = createServer((_req, res) => {
        reached++;
        res.end('{"status":"0","balance":"1","gift":"0","credit":"0"}');
      });
      s.listen(0, '127.0.0.1', () => resolve(s));
    });
    const redirecting = await startSimulator({
      accounts: [
        { apiKey: KEY, apiSecret: SECRET, balance: 1, gift: 0, credit: 0, spendPerHour: 0, fault: 'redirect' },
      ],
      redirectTo: `http://127.0.0.1:${(target.address() as AddressInfo).port}/sms/getBalance`,
    });
    try {
      await expect(client.fetchBalance({ ...account, baseUrl: redirecting.baseUrl })).resolves.toEqual({
        kind: 'failure',
        reason: 'http_status',
        detail: 'HTTP 302',
      });
      expect(reached).toBe(0);
    } finally {
      await redirecting.close();
      await new Promise((r) => target.close(r));
    }
  });

  test('an abort from the caller is reported as aborted, not as a failure', async () => {
    simulator.update(KEY, { fault: 'hang' });
    const controller = new AbortController();
    const pending = client.fetchBalance(account, controller.signal);
    setTimeout(() => controller.abort(), 50);
    await expect(pending).resolves.toEqual({ kind: 'aborted' });
  });

  test('failure details never carry the secret or the signature', async () => {
    for (const fault of ['reset', 'hang', 'http500'] as const) {
      simulator.update(KEY, { fault });
      const outcome = await timingOut.fetchBalance(account);
      const text = JSON.stringify(outcome);
      expect(text).not.toContain(SECRET);
      expect(text).not.toMatch(/[0-9a-f]{32}/);
    }
  });
});

describe('a body whose Content-Encoding does not match it (item 10)', () => {
  let server: Server;
  let base: string;
  const client = createBalanceClient({ timeoutMs: 2000 });
  const BODY = '{"status":"0","balance":"1.5","gift":"0","credit":"0"}';

  beforeAll(async () => {
    server = createServer((req, res) => {
      const label = req.url?.split('/')[1] ?? '';
      const encoding = label === 'gzip-for-real' ? 'gzip' : label;
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Encoding': encoding });
      res.end(label === 'gzip-for-real' ? gzipSync(BODY) : BODY);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((r) => server.close(r)));
  const at = (path: string): Account => ({ name: 'shop', apiKey: KEY, apiSecret: SECRET, baseUrl: `${base}/${path}` });

  test('a gzipped body is read', async () => {
    await expect(client.fetchBalance(at('gzip-for-real'))).resolves.toEqual({
      kind: 'success',
      balance: 1.5,
      gift: 0,
      credit: 0,
    });
  });

  test.each(['gzip', 'x-gzip', 'deflate', 'br'])(
    'a plain body labelled %s is an invalid response, not a network error',
    async (encoding) => {
      const outcome = await client.fetchBalance(at(encoding));
      expect(outcome).toEqual({
        kind: 'failure',
        reason: 'invalid_response',
        detail: expect.stringMatching(
          /^body cannot be decoded as its Content-Encoding says \((Z_|ERR__ERROR_)\w+: .+\)$/,
        ),
      });
    },
  );
});

describe('a malformed HTTP answer is invalid_response, not a network fault', () => {
  const body = '{"status":"0","reason":"success","balance":"1.5","gift":"0","credit":"0"}';
  const head = 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n';
  const chunk = `${body.length.toString(16)}\r\n${body}\r\n`;
  test.each([
    ['a chunked body cut off mid-chunk', `${head}Transfer-Encoding: chunked\r\n\r\n${chunk.slice(0, 30)}`],
    ['a chunked body without its last chunk', `${head}Transfer-Encoding: chunked\r\n\r\n${chunk}`],
    ['garbage for a chunk size', `${head}Transfer-Encoding: chunked\r\n\r\n${chunk}ZZZ\r\n\r\n`],
    ['garbage after a chunk', `${head}Transfer-Encoding: chunked\r\n\r\n${chunk.slice(0, -2)}XXXX\r\n0\r\n\r\n`],
  ])('%s', async (_, answer) => {
    const server = createNetServer((socket) => {
      socket.on('error', () => undefined);
      // The answer, then the connection closes as a crashed upstream's would.
      socket.once('data', () => socket.write(answer, () => setTimeout(() => socket.destroy(), 20)));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/sms`;
      const outcome = await createBalanceClient({ timeoutMs: 5000 }).fetchBalance({
        apiKey: KEY,
        apiSecret: SECRET,
        baseUrl,
      });
      expect(outcome).toMatchObject({ kind: 'failure', reason: 'invalid_response' });
    } finally {
      server.close();
    }
  });
});

describe('HTTP 429 and its Retry-After (issue 20 item 10)', () => {
  test.each([
    ['seconds', '120', 120_000],
    ['an HTTP date', 'Thu, 03 Dec 2026 12:02:00 GMT', 120_000],
    ['nothing', undefined, undefined],
    ['garbage', 'soon', undefined],
  ])('Retry-After as %s', async (_, header, expected) => {
    const server = createServer((_req, res) => {
      res.writeHead(429, header === undefined ? {} : { 'Retry-After': header }).end('slow down');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/sms`;
      const now = () => Date.parse('2026-12-03T12:00:00Z');
      const outcome = await createBalanceClient({ timeoutMs: 5000, now }).fetchBalance({
        apiKey: KEY,
        apiSecret: SECRET,
        baseUrl,
      });
      expect(outcome).toEqual({
        kind: 'failure',
        reason: 'http_status',
        detail: expected === undefined ? 'HTTP 429' : 'HTTP 429 (Retry-After 120 s)',
        rateLimited: true,
        ...(expected === undefined ? {} : { retryAfterMs: expected }),
      });
    } finally {
      server.close();
    }
  });
});
