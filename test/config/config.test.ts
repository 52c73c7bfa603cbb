import { ConfigError, helpText, loadConfig, type CliCommand, type ExporterConfig } from '../../src/config/config';
import { parseListenAddress } from '../../src/config/listen-address';

const SECRET = 'zz-secret-7bz1lzh9';

function sources(argv: string[], env: Record<string, string> = {}, files: Record<string, string> = {}) {
  return {
    argv,
    env,
    readFile: (path: string): string => {
      const text = files[path];
      if (text === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
      return text;
    },
  };
}

function run(command: CliCommand): ExporterConfig {
  if (command.kind !== 'run') throw new Error(`expected run, got ${command.kind}`);
  return command.config;
}

function problems(argv: string[], env: Record<string, string> = {}, files: Record<string, string> = {}): string[] {
  try {
    loadConfig(sources(argv, env, files));
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

const oneAccountEnv = { ITNIO_API_KEY: 'bDqJFiq9', ITNIO_API_SECRET: SECRET };

describe('loadConfig defaults and sources', () => {
  test('one account from the environment, with the documented defaults', () => {
    const config = run(loadConfig(sources([], oneAccountEnv)));
    expect(config).toMatchObject({
      listen: { host: '', port: 10042 },
      telemetryPath: '/metrics',
      apiTimeoutMs: 10_000,
      pollSchedule: '0 * * * * *',
      pollDescription: 'every 1m',
      pollMaxAgeMs: 3_600_000,
      pollConcurrency: 4,
      logLevel: 'info',
    });
    expect(config.accounts).toEqual([
      { name: 'default', apiKey: 'bDqJFiq9', apiSecret: SECRET, baseUrl: 'https://api.itniotech.com/sms' },
    ]);
  });

  test('a flag wins over its variable', () => {
    const config = run(
      loadConfig(
        sources(['--poll.interval=30s', '--log.level', 'debug'], {
          ...oneAccountEnv,
          ITNIO_POLL_INTERVAL: '5m',
          ITNIO_LOG_LEVEL: 'warn',
        }),
      ),
    );
    expect(config.pollSchedule).toBe('*/30 * * * * *');
    expect(config.logLevel).toBe('debug');
  });

  test('variables are read when no flag is given', () => {
    const config = run(
      loadConfig(
        sources([], {
          ...oneAccountEnv,
          ITNIO_LISTEN_ADDRESS: '127.0.0.1:9999',
          ITNIO_TELEMETRY_PATH: '/m',
          ITNIO_BASE_URL: 'http://127.0.0.1:1/sms',
          ITNIO_API_TIMEOUT: '2s',
          ITNIO_POLL_SCHEDULE: '*/10 * * * * *',
          ITNIO_POLL_MAX_AGE: '2h',
          ITNIO_POLL_CONCURRENCY: '8',
          ITNIO_ACCOUNT: 'shop',
          ITNIO_LOW_BALANCE_THRESHOLD: '12.5',
        }),
      ),
    );
    expect(config.listen).toEqual({ host: '127.0.0.1', port: 9999 });
    expect(config.telemetryPath).toBe('/m');
    expect(config.apiTimeoutMs).toBe(2000);
    expect(config.pollSchedule).toBe('*/10 * * * * *');
    expect(config.pollMaxAgeMs).toBe(7_200_000);
    expect(config.pollConcurrency).toBe(8);
    expect(config.accounts).toEqual([
      {
        name: 'shop',
        apiKey: 'bDqJFiq9',
        apiSecret: SECRET,
        baseUrl: 'http://127.0.0.1:1/sms',
        lowBalanceThreshold: 12.5,
      },
    ]);
  });

  test('a secret file is read and trimmed', () => {
    const config = run(
      loadConfig(
        sources([], { ITNIO_API_KEY: 'bDqJFiq9', ITNIO_API_SECRET_FILE: '/run/s' }, { '/run/s': `${SECRET}\n` }),
      ),
    );
    expect(config.accounts[0]?.apiSecret).toBe(SECRET);
  });

  test('--help, --version, --check and --config.check', () => {
    expect(loadConfig(sources(['--help'])).kind).toBe('help');
    expect(loadConfig(sources(['--version'])).kind).toBe('version');
    expect(loadConfig(sources(['--check'], oneAccountEnv))).toMatchObject({ kind: 'run', mode: 'check' });
    expect(loadConfig(sources(['--config.check'], oneAccountEnv))).toMatchObject({ kind: 'run', mode: 'config-check' });
    expect(helpText()).toContain('--poll.interval');
    expect(helpText()).toContain('ITNIO_POLL_INTERVAL');
  });
});

describe('loadConfig with a YAML file', () => {
  const file = `
accounts:
  - name: marketing
    api_key: bDqJFiq9
    api_secret_file: /run/secrets/marketing
    low_balance_threshold: 100
  - name: otp.eu-1
    api_key: "12345678"
    api_secret: "${SECRET}"
    base_url: https://eu.example.test/sms/
`;

  test('several accounts, per-account base URL and threshold', () => {
    const config = run(
      loadConfig(
        sources(
          ['--config.file=/etc/itnio.yml'],
          {},
          { '/etc/itnio.yml': file, '/run/secrets/marketing': 'm-secret\n' },
        ),
      ),
    );
    expect(config.configFile).toBe('/etc/itnio.yml');
    expect(config.accounts).toEqual([
      {
        name: 'marketing',
        apiKey: 'bDqJFiq9',
        apiSecret: 'm-secret',
        baseUrl: 'https://api.itniotech.com/sms',
        lowBalanceThreshold: 100,
      },
      { name: 'otp.eu-1', apiKey: '12345678', apiSecret: SECRET, baseUrl: 'https://eu.example.test/sms/' },
    ]);
  });

  test('every problem in the file is reported at once, each naming its key', () => {
    const bad = `
accounts:
  - name: marketing
    api_key: bDqJFiq9
    api_secret_fil: /x
  - name: marketing
    api_key: 12345678
    api_secret: "${SECRET}"
    low_balance_threshold: lots
  - name: "bad name!"
    api_key: k
    api_secret: s
    api_secret_file: /y
    base_url: ftp://x
extra: 1
`;
    const list = problems(['--config.file', '/c.yml'], {}, { '/c.yml': bad });
    expect(list).toEqual(
      expect.arrayContaining([
        expect.stringContaining('/c.yml: unknown key "extra"'),
        expect.stringContaining('accounts[0].api_secret_fil: unknown key'),
        expect.stringContaining('accounts[0]: missing api_secret_file'),
        expect.stringContaining('accounts[1].name: "marketing" is used by an earlier account'),
        expect.stringContaining('accounts[1].api_key: expected the API key as a string'),
        expect.stringContaining('accounts[1].low_balance_threshold: "lots" is not valid'),
        expect.stringContaining('accounts[2].name: expected a unique name'),
        expect.stringContaining('accounts[2]: api_secret and api_secret_file are both set'),
        expect.stringContaining('accounts[2].base_url: "ftp://x" is not valid'),
      ]),
    );
    expect(list).toHaveLength(9);
    for (const problem of list) expect(problem).not.toContain(SECRET);
  });

  test('malformed YAML names the file and position, and never quotes the file', () => {
    const list = problems(
      ['--config.file', '/c.yml'],
      {},
      { '/c.yml': `accounts:\n  - name: a\n    api_secret: "${SECRET}\n   bad: [` },
    );
    expect(list.length).toBeGreaterThan(0);
    expect(list[0]).toMatch(/^\/c\.yml: malformed YAML at line \d+, column \d+/);
    for (const problem of list) expect(problem).not.toContain(SECRET);
  });

  test('a mapping or list where a value belongs is named as such, never "[object Object]"', () => {
    const file = `accounts:\n  - name: a\n    api_key: k\n    api_secret: "${SECRET}"\n    base_url: {x: 1}\n    low_balance_threshold: [1, 2]\n`;
    const list = problems(['--config.file', '/c.yml'], {}, { '/c.yml': file });
    expect(list).toEqual([
      '/c.yml: accounts[0].base_url: a mapping is not valid; expected an http(s) URL without credentials, query or fragment',
      '/c.yml: accounts[0].low_balance_threshold: a list is not valid; expected a decimal number such as 100 or 12.5',
    ]);
  });

  test('a second YAML document is explained in words for the file author, without the library advice', () => {
    const list = problems(['--config.file', '/c.yml'], {}, { '/c.yml': 'accounts: []\n---\nx: 1\n' });
    expect(list).toEqual([
      '/c.yml: malformed YAML at line 2, column 1: the file holds more than one YAML document (a second "---"); expected one',
    ]);
    expect(list.join()).not.toMatch(/please|parseAllDocuments/);
  });

  test.each(['.', '..', '-', '_', '-.-'])('the account name "%s" is refused (no letter or digit)', (name) => {
    const file = `accounts:\n  - name: "${name}"\n    api_key: k\n    api_secret: "${SECRET}"\n`;
    expect(problems(['--config.file', '/c.yml'], {}, { '/c.yml': file })).toEqual([
      expect.stringMatching(/^\/c\.yml: accounts\[0\]\.name: expected a unique name of .*at least one letter or digit/),
    ]);
    expect(problems([], { ...oneAccountEnv, ITNIO_ACCOUNT: name })).toEqual([
      expect.stringMatching(/^ITNIO_ACCOUNT: ".*" is not valid; expected .*at least one letter or digit/),
    ]);
  });

  test('names that differ only in case are refused as one name', () => {
    const entry = (name: string): string => `  - name: ${name}\n    api_key: k\n    api_secret: "${SECRET}"\n`;
    const file = `accounts:\n${entry('Shop')}${entry('shop')}`;
    expect(problems(['--config.file', '/c.yml'], {}, { '/c.yml': file })).toEqual([
      expect.stringMatching(
        /^\/c\.yml: accounts\[1\]\.name: "shop" is used by an earlier account \(names are compared ignoring case\)/,
      ),
    ]);
  });

  test('an unreadable secret file or config file is named', () => {
    expect(problems(['--config.file', '/nope.yml'])).toEqual([
      expect.stringContaining('cannot read "/nope.yml" (ENOENT)'),
    ]);
    const list = problems(
      ['--config.file', '/c.yml'],
      {},
      { '/c.yml': 'accounts:\n  - name: a\n    api_key: k1234\n    api_secret_file: /missing\n' },
    );
    expect(list).toEqual([
      expect.stringContaining('accounts[0].api_secret_file: cannot read secret file "/missing" (ENOENT)'),
    ]);
  });

  test('a relative api_secret_file is read next to the config file', () => {
    const config = run(
      loadConfig(
        sources(
          ['--config.file=/etc/itnio/accounts.yml'],
          {},
          {
            '/etc/itnio/accounts.yml': 'accounts:\n  - name: a\n    api_key: k1234\n    api_secret_file: secrets/a\n',
            '/etc/itnio/secrets/a': 'rel-secret\n',
          },
        ),
      ),
    );
    expect(config.accounts[0]?.apiSecret).toBe('rel-secret');
  });

  test('an empty account list and a non-mapping file are refused', () => {
    expect(problems(['--config.file', '/c.yml'], {}, { '/c.yml': 'accounts: []\n' })).toEqual([
      expect.stringContaining('"accounts" must be a non-empty list'),
    ]);
    expect(problems(['--config.file', '/c.yml'], {}, { '/c.yml': '- a\n' })).toEqual([
      expect.stringContaining('expected a mapping with the key "accounts"'),
    ]);
  });

  test('account variables together with a file are refused', () => {
    expect(
      problems(['--config.file', '/c.yml'], oneAccountEnv, { '/c.yml': file, '/run/secrets/marketing': 'x' }),
    ).toEqual(expect.arrayContaining([expect.stringContaining('ITNIO_API_KEY is set together with --config.file')]));
  });
});

describe('loadConfig refuses bad flags and values, naming each', () => {
  test('every bad value at once', () => {
    const list = problems(
      [
        '--web.listen-address=localhost',
        '--poll.interval=45s',
        '--poll.max-age=soon',
        '--poll.concurrency=0',
        '--log.level=loud',
        '--api.timeout=0s',
        '--web.telemetry-path=metrics',
        '--api.base-url=not a url',
      ],
      oneAccountEnv,
    );
    expect(list).toEqual([
      expect.stringContaining('--web.listen-address: "localhost" is not valid; expected host:port'),
      expect.stringContaining('--web.telemetry-path: "metrics" is not valid; expected a path of /-separated segments'),
      expect.stringContaining('--api.base-url: "not a url" is not valid; expected an http(s) URL'),
      expect.stringContaining('--api.timeout: "0s" is not valid'),
      expect.stringMatching(
        /--poll.interval: 45s cannot be scheduled evenly by cron; use one of .*30s.*--poll.schedule/,
      ),
      expect.stringContaining('--poll.max-age: "soon" is not valid'),
      expect.stringContaining('--poll.concurrency: "0" is not valid; expected a whole number from 1 to 64'),
      expect.stringContaining('--log.level: "loud" is not valid; expected trace, debug, info'),
    ]);
  });

  test('a value from a variable is named by the variable', () => {
    expect(problems([], { ...oneAccountEnv, ITNIO_POLL_INTERVAL: '7s' })).toEqual([
      expect.stringContaining('ITNIO_POLL_INTERVAL: 7s cannot be scheduled evenly'),
    ]);
  });

  test('bad cron expressions are refused', () => {
    expect(problems(['--poll.schedule', '*/5 * * *'], oneAccountEnv)).toEqual([
      expect.stringContaining('--poll.schedule: "*/5 * * *" is not valid; expected a cron expression'),
    ]);
    expect(problems(['--poll.schedule', '61 * * * *'], oneAccountEnv)).toHaveLength(1);
  });

  test.each(['/:x', '/*all', '/metrics(', '/metrics/', '//metrics', '/'])(
    'telemetry path %s is refused: it would be a route pattern or not a plain path',
    (path) => {
      expect(problems([`--web.telemetry-path=${path}`], oneAccountEnv)).toEqual([
        expect.stringContaining('--web.telemetry-path'),
      ]);
    },
  );

  test.each(['/healthz', '/Healthz', '/READYZ', '/api/v1/status', '/-/reload'])(
    'telemetry path %s is taken by the exporter itself',
    (path) => {
      expect(problems([`--web.telemetry-path=${path}`], oneAccountEnv)).toEqual([
        expect.stringContaining('is taken by the exporter itself'),
      ]);
    },
  );

  test('a max age shorter than the interval is refused', () => {
    expect(problems(['--poll.interval=5m', '--poll.max-age=1m'], oneAccountEnv)).toEqual([
      expect.stringContaining('shorter than the poll interval'),
    ]);
  });

  test('a max age shorter than the longest gap of a cron schedule is refused', () => {
    // Daily at 06:00: a 1h max age would drop the balances an hour after every poll.
    expect(problems(['--poll.schedule=0 0 6 * * *'], oneAccountEnv)).toEqual([
      expect.stringContaining('shorter than the longest gap between scheduled polls 1d'),
    ]);
    // Weekdays at 06:00: the weekend gap is three days.
    expect(problems(['--poll.schedule=0 6 * * 1-5', '--poll.max-age=1d'], oneAccountEnv)).toEqual([
      expect.stringContaining('3d'),
    ]);
    expect(
      run(loadConfig(sources(['--poll.schedule=0 6 * * 1-5', '--poll.max-age=3d'], oneAccountEnv))).pollMaxAgeMs,
    ).toBe(3 * 86_400_000);
  });

  test('a max age under a second is refused', () => {
    expect(problems(['--poll.interval=1s', '--poll.max-age=1ms'], oneAccountEnv)).toEqual([
      expect.stringContaining('--poll.max-age: "1ms" is not valid'),
    ]);
  });

  test('unknown flags, positionals and secrets given as flags', () => {
    const list = problems(['--poll.intervall=1m', 'extra', '--api.secret=hunter2'], oneAccountEnv);
    expect(list).toEqual(
      expect.arrayContaining([
        expect.stringContaining('unknown flag --poll.intervall'),
        expect.stringContaining('1 unexpected argument(s) that are not flags'),
        expect.stringContaining('--api.secret: secrets are not accepted as flags'),
      ]),
    );
    for (const problem of list) expect(problem).not.toContain('hunter2');
  });

  test('a secret given as "--api.secret VALUE" is refused without quoting the value', () => {
    const list = problems(['--api.secret', 'hunter2-spaced'], oneAccountEnv);
    expect(list).toEqual(
      expect.arrayContaining([
        expect.stringContaining('--api.secret: secrets are not accepted as flags'),
        expect.stringContaining('1 unexpected argument(s)'),
      ]),
    );
    expect(list).toHaveLength(2);
    expect(list.join('\n')).not.toContain('hunter2-spaced');
  });

  test('a value flag without a value', () => {
    expect(problems(['--poll.interval'], oneAccountEnv)).toEqual([
      expect.stringContaining('--poll.interval needs a value'),
    ]);
  });

  test('missing key, missing secret, both secrets, unreadable secret file', () => {
    expect(problems([], {})).toEqual([expect.stringContaining('no account configured')]);
    expect(problems([], { ITNIO_API_KEY: 'bDqJFiq9' })).toEqual([expect.stringContaining('no secret')]);
    expect(problems([], { ...oneAccountEnv, ITNIO_API_SECRET_FILE: '/s' }, { '/s': 'x' })).toEqual([
      expect.stringContaining('both set'),
    ]);
    expect(problems([], { ITNIO_API_KEY: 'bDqJFiq9', ITNIO_API_SECRET_FILE: '/nope' })).toEqual([
      expect.stringContaining('ITNIO_API_SECRET_FILE: cannot read secret file "/nope"'),
    ]);
    expect(problems([], { ITNIO_API_KEY: 'bDqJFiq9', ITNIO_API_SECRET_FILE: '/empty' }, { '/empty': '\n' })).toEqual([
      expect.stringContaining('is empty'),
    ]);
    expect(problems([], { ITNIO_API_KEY: 'has space', ITNIO_API_SECRET: SECRET })).toEqual([
      expect.stringContaining('ITNIO_API_KEY: the API key must be'),
    ]);
  });
});

describe('parseListenAddress', () => {
  test.each([
    [':10042', { host: '', port: 10042 }],
    ['127.0.0.1:0', { host: '127.0.0.1', port: 0 }],
    ['[::1]:9100', { host: '::1', port: 9100 }],
    ['localhost:80', { host: 'localhost', port: 80 }],
  ])('%s', (text, expected) => {
    expect(parseListenAddress(text)).toEqual(expected);
  });
  test.each(['10042', ':99999', 'host:', '::1:80', 'a b:1'])('%s is refused', (text) => {
    expect(parseListenAddress(text)).toBeUndefined();
  });
});

test('a refused base URL is quoted back without its credentials', () => {
  const list = [
    ...problems(['--api.base-url=https://user:S3cretPass@api.example.test/sms'], oneAccountEnv),
    ...problems(
      ['--config.file', '/c.yml'],
      {},
      {
        '/c.yml':
          'accounts:\n  - name: a\n    api_key: k1234\n    api_secret: s\n    base_url: "https://u:HUNTER2@h/sms"\n',
      },
    ),
  ];
  expect(list).toEqual([
    expect.stringContaining('"https://***@api.example.test/sms" is not valid'),
    expect.stringContaining('"https://***@h/sms" is not valid'),
  ]);
  expect(list.join('\n')).not.toMatch(/S3cretPass|HUNTER2/);
});

test('a plain-http base URL to another host is valid but warned about; loopback is not', () => {
  const remote = run(loadConfig(sources(['--api.base-url=http://api.example.test/sms'], oneAccountEnv)));
  expect(remote.warnings).toEqual([
    'account default: base URL is plain http: signed requests and balances cross the network unencrypted',
  ]);
  expect(run(loadConfig(sources(['--api.base-url=http://127.0.0.1:8080/sms'], oneAccountEnv))).warnings).toEqual([]);
  expect(run(loadConfig(sources([], oneAccountEnv))).warnings).toEqual([]);
});

describe('--api.proxy-url', () => {
  test('an http(s) proxy URL is kept, credentials included; without one there is none', () => {
    expect(
      run(loadConfig(sources(['--api.proxy-url=http://u:p4ss@proxy.example:3128'], oneAccountEnv))).apiProxyUrl,
    ).toBe('http://u:p4ss@proxy.example:3128');
    expect(
      run(loadConfig(sources([], { ...oneAccountEnv, ITNIO_API_PROXY_URL: 'https://proxy.example' }))).apiProxyUrl,
    ).toBe('https://proxy.example');
    expect(run(loadConfig(sources([], oneAccountEnv))).apiProxyUrl).toBeUndefined();
  });

  test.each([
    ['socks5://u:s3cr3t-pw@proxy:1080', /socks5:\/\/ proxies are not supported/],
    ['ftp://proxy.example:21', /ftp:\/\/ proxies are not supported/],
    ['http://u:s3cr3t-pw@proxy/path', /no path, query or fragment/],
    ['u:s3cr3t-pw@proxy.example:99999', /not a URL \(is the port a number from 1 to 65535\?\)/],
    ['proxy.example:port', /not a URL/],
    ['http://u:s3cr3t-pw@proxy.example:0', /port 0/],
    ['http://', /not a URL/],
  ])('"%s" is refused, saying why, its password not echoed', (value, why) => {
    const list = problems([`--api.proxy-url=${value}`], oneAccountEnv);
    expect(list).toEqual([
      expect.stringMatching(/^--api\.proxy-url: ".*" is not valid: .*; expected an http\(s\) URL/),
    ]);
    expect(list[0]).toMatch(why);
    expect(list.join('\n')).not.toContain('s3cr3t-pw');
  });

  test.each([
    ['proxy.example:3128', 'http://proxy.example:3128'],
    ['u:p4ss@proxy.example:3128', 'http://u:p4ss@proxy.example:3128'],
    ['[::1]:3128', 'http://[::1]:3128'],
    [' https://proxy.example ', 'https://proxy.example'],
  ])('"%s" is read as curl and Go read it: %s', (value, expected) => {
    expect(run(loadConfig(sources([], { ...oneAccountEnv, ITNIO_API_PROXY_URL: value }))).apiProxyUrl).toBe(expected);
  });

  test('a password on the command line is a warning that does not show it', () => {
    const config = run(loadConfig(sources(['--api.proxy-url=u:p4ss@proxy.example:3128'], oneAccountEnv)));
    expect(config.warnings).toEqual([
      expect.stringMatching(/^--api\.proxy-url: the proxy password is on the command line/),
    ]);
    expect(config.warnings.join()).not.toContain('p4ss');
    const fromEnv = run(loadConfig(sources([], { ...oneAccountEnv, ITNIO_API_PROXY_URL: 'http://u:p4ss@proxy:3128' })));
    expect(fromEnv.warnings).toEqual([]);
    expect(run(loadConfig(sources(['--api.proxy-url=proxy:3128'], oneAccountEnv))).warnings).toEqual([]);
  });

  test('--help describes it', () => {
    expect(helpText()).toMatch(
      /--api\.proxy-url=VALUE\n\s+Egress proxy for the API; overrides HTTPS_PROXY\/HTTP_PROXY \(NO_PROXY still applies\)\. HTTPS goes through a CONNECT tunnel\. \[env ITNIO_API_PROXY_URL\]/,
    );
  });
});

describe('HTTPS_PROXY, HTTP_PROXY and NO_PROXY', () => {
  const withEnv = (env: Record<string, string>, argv: string[] = []) =>
    loadConfig(sources(argv, { ...oneAccountEnv, ...env }));

  test('a scheme-less value is read as http://, and the start-up description never shows credentials', () => {
    const config = run(withEnv({ HTTPS_PROXY: 'exporter:s3cr3t-pw@proxy.example:3128', no_proxy: 'localhost' }));
    expect(config.proxyVariables).toEqual({
      HTTPS_PROXY: 'http://exporter:s3cr3t-pw@proxy.example:3128',
      NO_PROXY: 'localhost',
    });
    expect(config.proxyDescription).toBe('http://proxy.example:3128 for https (HTTPS_PROXY); not for NO_PROXY hosts');
    expect(run(withEnv({})).proxyDescription).toBe('none');
  });

  test('an empty lower-case variable does not hide the upper-case one', () => {
    const config = run(
      withEnv({ https_proxy: '', HTTPS_PROXY: 'http://proxy.example:3128', no_proxy: ' ', NO_PROXY: 'x' }),
    );
    expect(config.proxyVariables).toEqual({ HTTPS_PROXY: 'http://proxy.example:3128', NO_PROXY: 'x' });
  });

  test.each([
    [
      { https_proxy: 'socks5://u:s3cr3t-pw@proxy:1080' },
      /^https_proxy: "socks5:\/\/\*\*\*@proxy:1080" is not valid: socks5/,
    ],
    [{ HTTPS_PROXY: 'u:s3cr3t-pw@proxy:70000' }, /^HTTPS_PROXY: "\*\*\*@proxy:70000" is not valid/],
  ])('%o is refused at start-up, naming the variable and not the password', (env, expected) => {
    const list = problems([], { ...oneAccountEnv, ...env });
    expect(list).toEqual([expect.stringMatching(expected)]);
    expect(list.join()).not.toContain('s3cr3t-pw');
  });

  test('a variable the accounts never use, or that --api.proxy-url replaces, is not checked', () => {
    expect(run(withEnv({ HTTP_PROXY: 'socks5://proxy:1080' })).proxyVariables).toEqual({});
    expect(run(withEnv({ HTTPS_PROXY: 'socks5://proxy:1080' }, ['--api.proxy-url=proxy:3128'])).apiProxyUrl).toBe(
      'http://proxy:3128',
    );
  });
});

describe('--poll.spread (issue 20 item 10)', () => {
  test('on by default; false or ITNIO_POLL_SPREAD=false turns it off; anything else is refused', () => {
    expect(run(loadConfig(sources([], oneAccountEnv))).pollSpread).toBe(true);
    expect(run(loadConfig(sources(['--poll.spread=false'], oneAccountEnv))).pollSpread).toBe(false);
    expect(run(loadConfig(sources([], { ...oneAccountEnv, ITNIO_POLL_SPREAD: 'false' }))).pollSpread).toBe(false);
    expect(problems(['--poll.spread=maybe'], oneAccountEnv)).toEqual([
      '--poll.spread: "maybe" is not valid; expected true or false',
    ]);
  });
});
