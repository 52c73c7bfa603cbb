import { ConfigError, loadConfig, type ExporterConfig } from '../../src/config/config';

const KEY = 'bDqJFiq9';
const SECRET = 'zz-secret-7bz1lzh9';
const FILE = '/etc/itnio/accounts.yml';

type Outcome = { secret: string } | { problems: string[] };

function load(argv: string[], env: Record<string, string>, files: Record<string, string> = {}): Outcome {
  try {
    const command = loadConfig({
      argv,
      env,
      readFile: (path) => {
        const text = files[path];
        if (text === undefined) throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
        return text;
      },
    });
    return { secret: (command as { config: ExporterConfig }).config.accounts[0]?.apiSecret ?? '' };
  } catch (error) {
    if (error instanceof ConfigError) return { problems: error.problems };
    throw error;
  }
}

/** The one account's secret given in each of the four places a secret can come from. */
const fromEveryPlace = (raw: string): Array<[string, Outcome]> => [
  ['ITNIO_API_SECRET', load([], { ITNIO_API_KEY: KEY, ITNIO_API_SECRET: raw })],
  ['ITNIO_API_SECRET_FILE', load([], { ITNIO_API_KEY: KEY, ITNIO_API_SECRET_FILE: '/run/s' }, { '/run/s': raw })],
  [
    `${FILE}: accounts[0].api_secret`,
    load(
      [`--config.file=${FILE}`],
      {},
      { [FILE]: `accounts:\n  - name: a\n    api_key: ${KEY}\n    api_secret: ${JSON.stringify(raw)}\n` },
    ),
  ],
  [
    `${FILE}: accounts[0].api_secret_file`,
    load(
      [`--config.file=${FILE}`],
      {},
      { [FILE]: `accounts:\n  - name: a\n    api_key: ${KEY}\n    api_secret_file: /run/s\n`, '/run/s': raw },
    ),
  ],
];

describe('the API secret is normalised the same way from every source (item 6)', () => {
  test.each([
    ['a trailing CR LF (a Kubernetes Secret made from a file)', `${SECRET}\r\n`],
    ['a leading space', ` ${SECRET}`],
    ['a byte order mark', `\uFEFF${SECRET}`],
    ['tabs and a newline', `\t${SECRET}\t\n`],
  ])('%s is trimmed', (_what, raw) => {
    for (const [where, outcome] of fromEveryPlace(raw)) expect([where, outcome]).toEqual([where, { secret: SECRET }]);
  });

  test('a secret of only white space is refused, naming where it came from', () => {
    for (const [where, outcome] of fromEveryPlace(' \r\n\t ')) {
      expect(outcome).toEqual({
        problems: [expect.stringMatching(new RegExp(`^${where.replace(/[.[\]]/g, '\\$&')}: .*is empty`))],
      });
    }
  });

  test('a secret with a control character inside is refused without being shown', () => {
    for (const [where, outcome] of fromEveryPlace(`zz-sec\u0000ret-7bz1`)) {
      expect(outcome).toEqual({
        problems: [expect.stringMatching(new RegExp(`^${where.replace(/[.[\]]/g, '\\$&')}: .*control character`))],
      });
      expect(JSON.stringify(outcome)).not.toContain('zz-sec');
    }
  });
});

describe('a secret file setting holding the secret itself is not echoed (item 10)', () => {
  test('ITNIO_API_SECRET_FILE set to the secret', () => {
    const outcome = load([], { ITNIO_API_KEY: KEY, ITNIO_API_SECRET_FILE: SECRET });
    expect(outcome).toEqual({
      problems: [
        'ITNIO_API_SECRET_FILE: cannot read the file it names (not shown: without a "/" it may be the secret itself) ' +
          '(ENOENT); expected a path to a file holding the API secret (the secret itself goes in ITNIO_API_SECRET)',
      ],
    });
  });

  test('api_secret_file set to the secret: neither the value nor the path it resolves to is shown', () => {
    const outcome = load(
      [`--config.file=${FILE}`],
      {},
      { [FILE]: `accounts:\n  - name: a\n    api_key: ${KEY}\n    api_secret_file: ${SECRET}\n` },
    );
    expect(outcome).toEqual({
      problems: [
        `${FILE}: accounts[0].api_secret_file: cannot read the file it names (not shown: without a "/" it may be the secret itself) ` +
          '(ENOENT); expected a path to a file holding the API secret (the secret itself goes in api_secret)',
      ],
    });
  });

  test('a path is still named', () => {
    expect(load([], { ITNIO_API_KEY: KEY, ITNIO_API_SECRET_FILE: '/run/secrets/itnio' })).toEqual({
      problems: [
        'ITNIO_API_SECRET_FILE: cannot read secret file "/run/secrets/itnio" (ENOENT); ' +
          'expected a path to a file holding the API secret (the secret itself goes in ITNIO_API_SECRET)',
      ],
    });
    const relative = load(
      [`--config.file=${FILE}`],
      {},
      { [FILE]: `accounts:\n  - name: a\n    api_key: ${KEY}\n    api_secret_file: secrets/a\n` },
    );
    expect(relative).toEqual({
      problems: [expect.stringContaining('cannot read secret file "/etc/itnio/secrets/a" (ENOENT)')],
    });
  });
});
