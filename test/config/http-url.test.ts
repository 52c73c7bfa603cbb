import { ConfigError, loadConfig } from '../../src/config/config';
import { parseHttpUrl, withoutCredentials } from '../../src/config/http-url';

const PASSWORDS = ['P@ssw0rd', 'pa/ss', 'pa ss', 'pa?ss', 'pa#ss', 'p:w', 'p%40w', 'p\\w', '123/abc'];

/** The ways a user name and password get written into a base URL, each hiding `password`. */
function urlsWith(password: string): string[] {
  return [
    `https://admin:${password}@api.example.test/sms`,
    `https://${password}@api.example.test/sms`,
    `http://admin:${password}@127.0.0.1:8080/sms`,
    `https:\\\\admin:${password}@api.example.test/sms`,
    `https:admin:${password}@api.example.test/sms`,
    `HTTPS://admin:${password}@@api.example.test/sms`,
    `ftp://admin:${password}@api.example.test/sms`,
    `admin:${password}@api.example.test/sms`,
  ];
}

function problemsOf(argv: string[], env: Record<string, string>, files: Record<string, string> = {}): string[] {
  try {
    loadConfig({
      argv,
      env,
      readFile: (path) => {
        const text = files[path];
        if (text === undefined) throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
        return text;
      },
    });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

const account = { ITNIO_API_KEY: 'bDqJFiq9', ITNIO_API_SECRET: 'zz-secret-7bz1lzh9' };

describe('withoutCredentials', () => {
  test.each(PASSWORDS)('hides a password such as %j, and the user name, in every spelling', (password) => {
    for (const url of urlsWith(password)) {
      const shown = withoutCredentials(url);
      expect(shown).not.toContain(password);
      expect(shown).not.toContain('admin');
      // What is left still says where the URL points.
      expect(shown).toContain(url.includes('127.0.0.1') ? '127.0.0.1:8080/sms' : 'api.example.test/sms');
    }
  });

  test('leaves a URL without credentials as it is', () => {
    expect(withoutCredentials('https://api.example.test/sms')).toBe('https://api.example.test/sms');
    expect(withoutCredentials('not a url')).toBe('not a url');
  });

  test.each(PASSWORDS.flatMap(urlsWith))('%j is refused as a base URL', (url) => {
    expect(parseHttpUrl(url)).toBeUndefined();
  });
});

describe('a base URL with credentials is refused without showing them, from every source', () => {
  const password = 'S3cret/P@ss zebra';
  const url = `https://admin:${password}@api.example.test/sms`;

  test.each([
    ['--api.base-url', [`--api.base-url=${url}`], { ...account }, {}],
    ['ITNIO_BASE_URL', [], { ...account, ITNIO_BASE_URL: url }, {}],
    [
      '/c.yml: accounts[0].base_url',
      ['--config.file=/c.yml'],
      {},
      { '/c.yml': `accounts:\n  - name: a\n    api_key: k1234\n    api_secret: s\n    base_url: "${url}"\n` },
    ],
  ])('%s', (where, argv, env, files) => {
    const list = problemsOf(argv, env, files);
    expect(list).toEqual([
      expect.stringMatching(
        new RegExp(
          `^${where.replace(/[.[\]]/g, '\\$&')}: "https://\\*\\*\\*@api\\.example\\.test/sms" is not valid: it holds a user name or password`,
        ),
      ),
    ]);
    for (const part of ['S3cret', 'P@ss', 'zebra', 'admin']) expect(list.join('\n')).not.toContain(part);
  });
});

describe('a base URL with a query or fragment is refused, naming the key (item 7)', () => {
  test.each([
    ['https://api.example.test/sms?lang=en', 'it has a query ("?…")'],
    ['https://api.example.test/sms?', 'it has a query ("?…")'],
    ['https://api.example.test/sms#x', 'it has a fragment ("#…")'],
    ['https://api.example.test/sms#', 'it has a fragment ("#…")'],
  ])('%s', (url, why) => {
    expect(parseHttpUrl(url)).toBeUndefined();
    // A query may hold a token: it is not quoted back either.
    const shown = url.replace(/([?#]).*$/, '$1…');
    const expected = (where: string): string =>
      `${where}: "${shown}" is not valid: ${why}, which /getBalance cannot follow; ` +
      'expected an http(s) URL without credentials, query or fragment';
    expect(problemsOf([`--api.base-url=${url}`], account)).toEqual([expected('--api.base-url')]);
    expect(problemsOf([], { ...account, ITNIO_BASE_URL: url })).toEqual([expected('ITNIO_BASE_URL')]);
    const file = `accounts:\n  - name: a\n    api_key: k1234\n    api_secret: s\n    base_url: "${url}"\n`;
    expect(problemsOf(['--config.file=/c.yml'], {}, { '/c.yml': file })).toEqual([
      expected('/c.yml: accounts[0].base_url'),
    ]);
  });

  test('neither is quoted back, as a query may hold a token', () => {
    expect(withoutCredentials('https://api.example.test/sms?token=t0k#f')).toBe('https://api.example.test/sms?…');
    expect(withoutCredentials('https://u:p@api.example.test/sms#f?x')).toBe('https://***@api.example.test/sms#…');
    // A "?" or "#" in a password is masked with it, not taken for the start of a query.
    expect(withoutCredentials('https://u:p?w#@api.example.test/sms')).toBe('https://***@api.example.test/sms');
  });

  test('a path is kept as it is', () => {
    expect(parseHttpUrl('https://api.example.test/v2/sms/')?.pathname).toBe('/v2/sms/');
  });
});
