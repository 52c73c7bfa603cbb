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
