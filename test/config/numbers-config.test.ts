import { ConfigError, helpText, loadConfig, type ExporterConfig } from '../../src/config/config';

const SECRET = 'zz-secret-7bz1lzh9';
const env = { ITNIO_API_KEY: 'bDqJFiq9', ITNIO_API_SECRET: SECRET };

function sources(argv: string[], environment: Record<string, string>, files: Record<string, string>) {
  return {
    argv,
    env: environment,
    readFile: (path: string): string => {
      const text = files[path];
      if (text === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
      return text;
    },
  };
}

function config(argv: string[], environment: Record<string, string> = env, files: Record<string, string> = {}) {
  const command = loadConfig(sources(argv, environment, files));
  if (command.kind !== 'run') throw new Error(`expected run, got ${command.kind}`);
  return command.config;
}

function problems(argv: string[], environment: Record<string, string> = env, files: Record<string, string> = {}) {
  try {
    loadConfig(sources(argv, environment, files));
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

const file = (accountYaml: string): Record<string, string> => ({
  '/a.yml': `accounts:\n  - name: pay\n    api_key: k1234\n    api_secret: s3cr3t-value\n${accountYaml}`,
});
const fromFile = (accountYaml: string): ExporterConfig['accounts'][number] =>
  config(['--config.file=/a.yml'], {}, file(accountYaml)).accounts[0]!;
const fileProblems = (accountYaml: string): string[] => problems(['--config.file=/a.yml'], {}, file(accountYaml));

describe('numbers collector settings', () => {
  it('is off by default, polls hourly and reads due dates at UTC+8', () => {
    expect(config([]).numbers).toEqual({
      enabled: false,
      schedule: '0 0 * * * *',
      description: 'every 1h',
      intervalMs: 3_600_000,
      dueDateUtcOffsetMinutes: 480,
    });
  });

  it('turns on by flag or by ITNIO_COLLECTOR_NUMBERS, like the other switches', () => {
    expect(config(['--collector.numbers']).numbers.enabled).toBe(true);
    expect(config(['--collector.numbers=true']).numbers.enabled).toBe(true);
    expect(config([], { ...env, ITNIO_COLLECTOR_NUMBERS: 'true' }).numbers.enabled).toBe(true);
    expect(problems([], { ...env, ITNIO_COLLECTOR_NUMBERS: 'yes' })).toEqual([
      'ITNIO_COLLECTOR_NUMBERS: "yes" is not valid; expected true or false',
    ]);
  });

  it('takes an interval cron fires evenly, from 1m to 24h', () => {
    expect(config(['--numbers.interval=15m']).numbers).toMatchObject({
      schedule: '0 */15 * * * *',
      intervalMs: 900_000,
    });
    expect(config([], { ...env, ITNIO_NUMBERS_INTERVAL: '6h' }).numbers.schedule).toBe('0 0 */6 * * *');
    expect(problems(['--numbers.interval=30s'])).toEqual([
      '--numbers.interval: "30s" is not valid; expected a duration from 1m to 24h that cron fires evenly, such as 15m, 1h or 6h',
    ]);
    expect(problems(['--numbers.interval=7m'])[0]).toMatch(
      /^--numbers\.interval: 7m cannot be scheduled evenly by cron/,
    );
  });

  it.each([
    ['+08:00', 480],
    ['-05:00', -300],
    ['+05:30', 330],
    ['+00:00', 0],
    ['+14:00', 840],
  ])('reads the due-date offset %s as %d minutes east of UTC', (value, minutes) => {
    expect(config([`--numbers.due-date-utc-offset=${value}`]).numbers.dueDateUtcOffsetMinutes).toBe(minutes);
  });

  it.each([['8'], ['+8:00'], ['+08:60'], ['+15:00'], ['-13:00'], ['UTC+8']])('refuses the offset %s', (value) => {
    expect(problems([], { ...env, ITNIO_NUMBERS_DUE_DATE_UTC_OFFSET: value })).toEqual([
      `ITNIO_NUMBERS_DUE_DATE_UTC_OFFSET: "${value}" is not valid; expected a UTC offset from -12:00 to +14:00, such as +08:00`,
    ]);
  });

  it('with the collector on, --poll.max-age must cover the numbers interval', () => {
    expect(problems(['--collector.numbers', '--numbers.interval=2h'])).toEqual([
      '--poll.max-age (default): "1h" is shorter than --numbers.interval 2h; the numbers would vanish between polls',
    ]);
    expect(config(['--numbers.interval=2h']).numbers.enabled).toBe(false);
  });

  it('lists the three flags in --help with their variables', () => {
    const help = helpText();
    for (const text of ['--collector.numbers', 'ITNIO_COLLECTOR_NUMBERS', '--numbers.interval=VALUE', '(default 1h)']) {
      expect(help).toContain(text);
    }
    expect(help).toContain('ITNIO_NUMBERS_DUE_DATE_UTC_OFFSET] (default +08:00)');
  });
});

describe('accounts file: numbers, currency and labels', () => {
  it('reads all three', () => {
    expect(
      fromFile('    numbers: false\n    currency: EUR\n    labels:\n      team: payments\n      tier: 1\n'),
    ).toEqual({
      name: 'pay',
      apiKey: 'k1234',
      apiSecret: 's3cr3t-value',
      baseUrl: 'https://api.itniotech.com/sms',
      numbers: false,
      currency: 'EUR',
      labels: { team: 'payments', tier: '1' },
    });
  });

  it('leaves them out when not given', () => {
    expect(Object.keys(fromFile(''))).toEqual(['name', 'apiKey', 'apiSecret', 'baseUrl']);
  });

  it.each([
    ['    numbers: no-thanks\n', 'accounts[0].numbers: "no-thanks" is not valid; expected true or false'],
    ['    currency: usd\n', 'accounts[0].currency: "usd" is not valid; expected an ISO 4217 currency code in capitals'],
    ['    currency: DOLLARS\n', 'accounts[0].currency: "DOLLARS" is not valid'],
    ['    currency: 840\n', 'accounts[0].currency: "840" is not valid'],
    ['    labels: payments\n', 'accounts[0].labels: "payments" is not valid; expected a mapping of label names'],
    [
      '    labels:\n      1team: x\n',
      'accounts[0].labels.1team: the label name "1team" is not a Prometheus label name',
    ],
    [
      '    labels:\n      team-a: x\n',
      'accounts[0].labels.team-a: the label name "team-a" is not a Prometheus label name',
    ],
    ['    labels:\n      __name__: x\n', 'accounts[0].labels.__name__: the label name "__name__" is reserved'],
    ['    labels:\n      team: [a, b]\n', 'accounts[0].labels.team: "["a","b"]" is not valid; expected a text value'],
  ])('refuses %j naming the key', (yaml, message) => {
    const found = fileProblems(yaml);
    expect(found).toHaveLength(1);
    expect(found[0]).toContain(`/a.yml: ${message}`);
  });

  it.each(['account', 'number', 'status', 'state', 'reason', 'country', 'type', 'currency', '__meta'])(
    'refuses the reserved label name %s with a clear error',
    (name) => {
      expect(fileProblems(`    labels:\n      ${name}: x\n`)).toEqual([
        expect.stringMatching(
          new RegExp(`^/a\\.yml: accounts\\[0\\]\\.labels\\.${name}: the label name "${name}" is reserved`),
        ),
      ]);
    },
  );

  it('names the new keys when an unknown key is used', () => {
    expect(fileProblems('    team: payments\n')[0]).toContain(
      'expected one of name, api_key, api_secret, api_secret_file, low_balance_threshold, base_url, numbers, currency, labels',
    );
  });
});
