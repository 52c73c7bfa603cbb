import bcrypt from 'bcryptjs';
import express from 'express';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BasicAuth, parseBasicAuthorization } from '../../src/web/basic-auth';
import { HTPASSWD_HASH, HTPASSWD_PASSWORD } from '../support/certs';

const basic = (credentials: string): string => `Basic ${Buffer.from(credentials).toString('base64')}`;

/** Real bcrypt, counting how often it runs. */
function countingVerifier(): {
  verify: (password: string, hash: string) => Promise<boolean>;
  calls: Array<{ hash: string }>;
} {
  const calls: Array<{ hash: string }> = [];
  return {
    calls,
    verify: (password, hash) => {
      calls.push({ hash });
      return bcrypt.compare(password, hash);
    },
  };
}

/** Real bcrypt, each run held until the test releases it, recording the passwords in run order. */
function gatedVerifier(): {
  verify: (password: string, hash: string) => Promise<boolean>;
  passwords: string[];
  started(count: number): Promise<void>;
  releaseOne(): void;
  releaseAll(): void;
} {
  const passwords: string[] = [];
  const held: Array<() => void> = [];
  let all = false;
  return {
    passwords,
    verify: async (password, hash) => {
      passwords.push(password);
      if (!all) await new Promise<void>((resolve) => held.push(resolve));
      return bcrypt.compare(password, hash);
    },
    started: async (count) => {
      for (let i = 0; i < 2000 && passwords.length < count; i++) await new Promise((r) => setTimeout(r, 5));
      expect(passwords.length).toBeGreaterThanOrEqual(count);
    },
    releaseOne: () => held.shift()?.(),
    releaseAll: () => {
      all = true;
      held.splice(0).forEach((release) => release());
    },
  };
}

describe('parseBasicAuthorization', () => {
  it.each([
    [basic('alice:pw'), { user: 'alice', password: 'pw' }],
    [basic('alice:pw:with:colons'), { user: 'alice', password: 'pw:with:colons' }],
    [basic('alice:'), { user: 'alice', password: '' }],
    [`basic ${Buffer.from('a:b').toString('base64')}`, { user: 'a', password: 'b' }],
    [basic('ünïcode:pässwörd'), { user: 'ünïcode', password: 'pässwörd' }],
  ])('reads %s', (header, expected) => {
    expect(parseBasicAuthorization(header)).toEqual(expected);
  });

  it.each([
    undefined,
    '',
    'Bearer abc',
    'Basic',
    'Basic !!!',
    basic('no-colon'),
    `Digest ${Buffer.from('a:b').toString('base64')}`,
  ])('refuses %p', (header) => {
    expect(parseBasicAuthorization(header)).toBeUndefined();
  });
});

describe('BasicAuth.check', () => {
  const users = (): Map<string, string> => new Map([['alice', HTPASSWD_HASH]]);

  it('accepts the password of an htpasswd $2y$ hash and nothing else', async () => {
    const auth = new BasicAuth({ users: users(), openPaths: [], realm: 'test' });
    expect(await auth.check(basic(`alice:${HTPASSWD_PASSWORD}`))).toBe(true);
    expect(await auth.check(basic('alice:correct horsE'))).toBe(false);
    expect(await auth.check(basic(`bob:${HTPASSWD_PASSWORD}`))).toBe(false);
    expect(await auth.check(undefined)).toBe(false);
  });

  it("close() ends the bcrypt worker thread (an exporter's close leaves no thread behind)", async () => {
    const threads = (): number => Number(/^Threads:\s+(\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]);
    const before = threads();
    const auth = new BasicAuth({ users: users(), openPaths: [], realm: 'test' });
    expect(await auth.check(basic(`alice:${HTPASSWD_PASSWORD}`))).toBe(true);
    expect(threads()).toBeGreaterThan(before);
    await auth.close();
    for (let i = 0; i < 100 && threads() > before; i++) await new Promise((r) => setTimeout(r, 50));
    expect(threads()).toBe(before);
  });

  it('runs bcrypt once for repeated good credentials', async () => {
    const counter = countingVerifier();
    const auth = new BasicAuth({ users: users(), openPaths: [], realm: 'test', verify: counter.verify });
    for (let i = 0; i < 5; i++) expect(await auth.check(basic(`alice:${HTPASSWD_PASSWORD}`))).toBe(true);
    expect(counter.calls).toHaveLength(1);
  });

  it('runs bcrypt for a wrong password after a good one was remembered, and refuses a repeat from memory', async () => {
    const counter = countingVerifier();
    const auth = new BasicAuth({ users: users(), openPaths: [], realm: 'test', verify: counter.verify });
    expect(await auth.check(basic(`alice:${HTPASSWD_PASSWORD}`))).toBe(true);
    expect(await auth.check(basic('alice:wrong'))).toBe(false);
    expect(await auth.check(basic('alice:wrong'))).toBe(false);
    expect(await auth.check(basic('alice:wrong again'))).toBe(false);
    expect(counter.calls).toHaveLength(3);
  });

  it('refuses a remembered wrong password after the same wait as an unknown user, and never holds back a remembered good one', async () => {
    const waits: Array<[string, number]> = [];
    let asking = '';
    const auth = new BasicAuth({
      users: users(),
      openPaths: [],
      realm: 'test',
      verify: countingVerifier().verify,
      // Records each wait instead of timing it: which refusals wait, and how long.
      wait: async (ms) => void waits.push([asking, ms]),
    });
    const check = (name: string, credentials: string): Promise<boolean> => {
      asking = name;
      return auth.check(basic(credentials));
    };
    expect(await check('good', `alice:${HTPASSWD_PASSWORD}`)).toBe(true);
    expect(await check('wrong, bcrypt', 'alice:wrong')).toBe(false);
    expect(await check('good again', `alice:${HTPASSWD_PASSWORD}`)).toBe(true);
    expect(await check('wrong, remembered', 'alice:wrong')).toBe(false);
    expect(await check('unknown user', 'bob:wrong')).toBe(false);
    expect(waits.map(([name]) => name)).toEqual(['wrong, remembered', 'unknown user']);
    const [remembered, unknown] = waits.map(([, ms]) => ms);
    expect(remembered).toBeGreaterThan(0);
    expect(remembered).toBe(unknown);
  });

  it('runs one bcrypt check at a time; the flood from one address waits in a bounded line, refused past it', async () => {
    let running = 0;
    let most = 0;
    const auth = new BasicAuth({
      users: users(),
      openPaths: [],
      realm: 'test',
      maxWaiting: 4,
      verify: async (password, hash) => {
        running++;
        most = Math.max(most, running);
        try {
          return await bcrypt.compare(password, hash);
        } finally {
          running--;
        }
      },
    });
    const flooder = { connection: {}, address: '127.0.0.2' };
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => auth.check(basic(`alice:wrong-${i}`), flooder)),
    );
    expect(results.every((ok) => ok === false)).toBe(true);
    expect(most).toBe(1);
    // Remembered good credentials need no check, so they pass even during a flood.
    expect(await auth.check(basic(`alice:${HTPASSWD_PASSWORD}`))).toBe(true);
  });

  it('takes a first login from another address before the flood’s waiting checks', async () => {
    const gate = gatedVerifier();
    const auth = new BasicAuth({ users: users(), openPaths: [], realm: 'test', verify: gate.verify });
    const flooder = { connection: {}, address: '127.0.0.2' };
    const flood = Array.from({ length: 10 }, (_, i) => auth.check(basic(`alice:wrong-${i}`), flooder));
    await gate.started(1);
    const login = auth.check(basic(`alice:${HTPASSWD_PASSWORD}`), { connection: {}, address: '127.0.0.1' });
    gate.releaseOne();
    await gate.started(2);
    // The second check run is the real user's, not the flood's second.
    expect(gate.passwords[1]).toBe(HTPASSWD_PASSWORD);
    gate.releaseAll();
    expect(await login).toBe(true);
    await Promise.all(flood);
  });

  it('within one address, takes a connection’s first attempt before retries of connections that failed', async () => {
    const gate = gatedVerifier();
    const auth = new BasicAuth({ users: users(), openPaths: [], realm: 'test', verify: gate.verify });
    const failed = { connection: {}, address: '127.0.0.1' };
    const first = auth.check(basic('alice:wrong-0'), failed);
    await gate.started(1);
    gate.releaseOne();
    expect(await first).toBe(false);
    const holder = auth.check(basic('alice:wrong-1'), { connection: {}, address: '127.0.0.1' });
    await gate.started(2);
    const retries = Array.from({ length: 5 }, (_, i) => auth.check(basic(`alice:again-${i}`), failed));
    const fresh = auth.check(basic(`alice:${HTPASSWD_PASSWORD}`), { connection: {}, address: '127.0.0.1' });
    gate.releaseOne();
    await gate.started(3);
    expect(gate.passwords[2]).toBe(HTPASSWD_PASSWORD);
    gate.releaseAll();
    expect(await fresh).toBe(true);
    await Promise.all([holder, ...retries]);
  });

  it('never spends a bcrypt run on an unknown user, and answers it no faster than a check', async () => {
    const counter = countingVerifier();
    const auth = new BasicAuth({ users: users(), openPaths: [], realm: 'test', verify: counter.verify });
    expect(await auth.check(basic(`alice:${HTPASSWD_PASSWORD}`))).toBe(true);
    const started = performance.now();
    // Even the right password of another user does not let an unknown name in.
    expect(await auth.check(basic(`mallory:${HTPASSWD_PASSWORD}`))).toBe(false);
    expect(performance.now() - started).toBeGreaterThanOrEqual(10);
    expect(counter.calls).toHaveLength(1);
  });

  it('keeps remembered passwords across a reload that keeps the hash', async () => {
    const counter = countingVerifier();
    const auth = new BasicAuth({ users: users(), openPaths: [], realm: 'test', verify: counter.verify });
    expect(await auth.check(basic(`alice:${HTPASSWD_PASSWORD}`))).toBe(true);
    auth.setUsers(
      new Map([
        ['alice', HTPASSWD_HASH],
        ['bob', bcrypt.hashSync('other', 4)],
      ]),
    );
    expect(await auth.check(basic(`alice:${HTPASSWD_PASSWORD}`))).toBe(true);
    expect(counter.calls).toHaveLength(1);
  });

  it('forgets remembered passwords when the users are replaced', async () => {
    const counter = countingVerifier();
    const auth = new BasicAuth({ users: users(), openPaths: [], realm: 'test', verify: counter.verify });
    expect(await auth.check(basic(`alice:${HTPASSWD_PASSWORD}`))).toBe(true);
    auth.setUsers(new Map([['alice', bcrypt.hashSync('new password', 4)]]));
    expect(await auth.check(basic(`alice:${HTPASSWD_PASSWORD}`))).toBe(false);
    expect(await auth.check(basic('alice:new password'))).toBe(true);
    expect(counter.calls).toHaveLength(3);
  });

  it('does not remember a check that finished after the users were replaced', async () => {
    const gate = gatedVerifier();
    const auth = new BasicAuth({ users: users(), openPaths: [], realm: 'test', verify: gate.verify });
    const pending = auth.check(basic(`alice:${HTPASSWD_PASSWORD}`));
    await gate.started(1);
    auth.setUsers(new Map([['alice', bcrypt.hashSync('new password', 4)]]));
    gate.releaseOne();
    expect(await pending).toBe(true);
    const again = auth.check(basic(`alice:${HTPASSWD_PASSWORD}`));
    await gate.started(2);
    gate.releaseOne();
    expect(await again).toBe(false);
  });

  it('is off without users', async () => {
    const auth = new BasicAuth({ users: new Map(), openPaths: [], realm: 'test' });
    expect(auth.enabled).toBe(false);
    expect(await auth.check(basic('alice:x'))).toBe(false);
  });
});

describe('BasicAuth.middleware', () => {
  it('answers a connection’s repeated wrong passwords only after the retry delay (a tarpit), a first one at once', async () => {
    const counter = countingVerifier();
    const auth = new BasicAuth({
      users: new Map([['alice', HTPASSWD_HASH]]),
      openPaths: [],
      realm: 'test',
      verify: counter.verify,
      retryDelayMs: 400,
    });
    const app = express();
    app.use(auth.middleware());
    app.get('/', (_req, res) => res.send('ok'));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    // An unknown user name gets a connection of its own, one never refused for alice.
    const unknownAgent = new Agent({ keepAlive: true, maxSockets: 1 });
    const get = (password: string, user = 'alice'): Promise<{ status: number; ms: number }> =>
      new Promise((resolve, reject) => {
        const started = performance.now();
        const req = request(
          {
            agent: user === 'alice' ? agent : unknownAgent,
            port: (server.address() as AddressInfo).port,
            host: '127.0.0.1',
            headers: { authorization: basic(`${user}:${password}`) },
          },
          (res) => {
            res.resume();
            res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - started }));
          },
        );
        req.on('error', reject);
        req.end();
      });
    try {
      const first = await get('wrong-1');
      const second = await get('wrong-2');
      expect([first.status, second.status]).toEqual([401, 401]);
      expect(second.ms).toBeGreaterThanOrEqual(400);
      // An unknown user name on a connection is held back the same way: the tarpit does not tell it from a real one.
      const unknownFirst = await get('wrong-3', 'bob');
      const unknownSecond = await get('wrong-4', 'bob');
      expect([unknownFirst.status, unknownSecond.status]).toEqual([401, 401]);
      expect(unknownSecond.ms).toBeGreaterThanOrEqual(400);
      // A good password on the same connection is not held back.
      expect((await get(HTPASSWD_PASSWORD)).status).toBe(200);
    } finally {
      agent.destroy();
      unknownAgent.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
