import bcrypt from 'bcryptjs';
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

  it('runs at most two bcrypt checks at once: a flood of bad logins is refused without queueing', async () => {
    let running = 0;
    let most = 0;
    const auth = new BasicAuth({
      users: users(),
      openPaths: [],
      realm: 'test',
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
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => auth.check(basic(`alice:wrong-${i}`))));
    expect(results.every((ok) => ok === false)).toBe(true);
    expect(most).toBe(2);
    // Remembered good credentials need no check, so they pass even during a flood.
    expect(await auth.check(basic(`alice:${HTPASSWD_PASSWORD}`))).toBe(true);
    const flood = Array.from({ length: 10 }, (_, i) => auth.check(basic(`mallory:x-${i}`)));
    expect(await auth.check(basic(`alice:${HTPASSWD_PASSWORD}`))).toBe(true);
    await Promise.all(flood);
  });

  it('spends a bcrypt run on an unknown user, against a configured hash', async () => {
    const counter = countingVerifier();
    const auth = new BasicAuth({ users: users(), openPaths: [], realm: 'test', verify: counter.verify });
    // Even the right password of another user does not let an unknown name in.
    expect(await auth.check(basic(`mallory:${HTPASSWD_PASSWORD}`))).toBe(false);
    expect(counter.calls).toEqual([{ hash: HTPASSWD_HASH }]);
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
    let release: () => void = () => undefined;
    const auth = new BasicAuth({
      users: users(),
      openPaths: [],
      realm: 'test',
      verify: async (password, hash) => {
        await new Promise<void>((resolve) => (release = resolve));
        return bcrypt.compare(password, hash);
      },
    });
    const pending = auth.check(basic(`alice:${HTPASSWD_PASSWORD}`));
    auth.setUsers(new Map([['alice', bcrypt.hashSync('new password', 4)]]));
    release();
    expect(await pending).toBe(true);
    const again = auth.check(basic(`alice:${HTPASSWD_PASSWORD}`));
    release();
    expect(await again).toBe(false);
  });

  it('is off without users', async () => {
    const auth = new BasicAuth({ users: new Map(), openPaths: [], realm: 'test' });
    expect(auth.enabled).toBe(false);
    expect(await auth.check(basic('alice:x'))).toBe(false);
  });
});
