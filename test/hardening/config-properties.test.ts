import fc from 'fast-check';
import { stringify } from 'yaml';
import { ACCOUNT_ENV } from '../../src/config/accounts';
import { ConfigError, loadConfig, type CliCommand } from '../../src/config/config';
import { FLAGS, MODE_FLAGS } from '../../src/config/flags';
import type { ConfigSources } from '../../src/config/sources';

const FILE = '/etc/itnio/exporter.yml';
const SECRET_FILE = '/run/secrets/itnio';

interface Inputs {
  argv: string[];
  env: Record<string, string>;
  files: Record<string, string>;
}

/** Runs loadConfig; anything thrown other than a ConfigError fails the property with the input that caused it. */
function loadChecked({ argv, env, files }: Inputs): CliCommand | ConfigError {
  const sources: ConfigSources = {
    argv,
    env,
    readFile: (path) => {
      // Own keys only: a path such as "valueOf" must not find Object.prototype's function.
      const text = Object.hasOwn(files, path) ? files[path] : undefined;
      if (text === undefined)
        throw Object.assign(new Error(`ENOENT: no such file, open '${path}'`), { code: 'ENOENT' });
      return text;
    },
  };
  let command: CliCommand;
  try {
    command = loadConfig(sources);
  } catch (error) {
    if (error instanceof ConfigError) {
      expect(error.problems.length).toBeGreaterThan(0);
      for (const problem of error.problems) expect(typeof problem).toBe('string');
      return error;
    }
    throw new Error(
      `loadConfig threw ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)} for ${JSON.stringify({ argv, env, files })}`,
    );
  }
  if (command.kind === 'run') {
    const { config } = command;
    for (const value of [config.apiTimeoutMs, config.pollMaxAgeMs, config.pollConcurrency, config.listen.port])
      expect(Number.isFinite(value)).toBe(true);
    expect(config.apiTimeoutMs).toBeGreaterThan(0);
    expect(config.pollMaxAgeMs).toBeGreaterThan(0);
    expect(Number.isInteger(config.pollConcurrency) && config.pollConcurrency >= 1).toBe(true);
    expect(Number.isInteger(config.listen.port) && config.listen.port <= 65535).toBe(true);
    expect(config.pollSchedule).not.toBe('');
    expect(config.accounts.length).toBeGreaterThan(0);
    for (const account of config.accounts) {
      if (account.lowBalanceThreshold !== undefined) expect(Number.isFinite(account.lowBalanceThreshold)).toBe(true);
      expect(account.apiSecret).not.toBe('');
    }
  }
  return command;
}

const dangerousKey = fc.constantFrom('__proto__', 'constructor', 'toString', 'valueOf', 'hasOwnProperty', '<<');
const durationLike = fc.oneof(
  fc
    .tuple(fc.nat({ max: 100_000 }), fc.constantFrom('ms', 's', 'm', 'h', 'd', '', 'y', 'S'))
    .map(([n, u]) => `${n}${u}`),
  fc.constantFrom(
    '1s',
    '30s',
    '1m',
    '1h30m',
    '0s',
    '45s',
    '7s',
    '99999999999999999999d',
    '1e3s',
    '-5s',
    ' 10s ',
    '1.5s',
    'Infinity',
    'NaN',
  ),
  fc.string(),
);
const numberLike = fc.oneof(
  fc.double().map(String),
  fc.integer().map(String),
  fc.bigInt({ min: -(10n ** 400n), max: 10n ** 400n }).map(String),
  fc.constantFrom('', '0', '64', '65', '1e3', '.5', '1_000', 'Infinity', '-Infinity', 'NaN', '0x10', ' 12 '),
  fc.string(),
);
const listenLike = fc.oneof(
  fc
    .tuple(
      fc.constantFrom('', '127.0.0.1', '[::1]', 'localhost', '[zz]', '0.0.0.0'),
      fc.integer({ min: -1, max: 70_000 }),
    )
    .map(([h, p]) => `${h}:${p}`),
  fc.string(),
);
const urlLike = fc.oneof(
  fc.webUrl(),
  fc.constantFrom('http://127.0.0.1:1/sms', 'https://u:p@host/sms', 'ftp://x', 'not a url', ''),
  fc.string(),
);
const levelLike = fc.oneof(
  fc.constantFrom('trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent', 'INFO', 'verbose'),
  fc.string(),
);

/** Mostly values that are valid, so the valid path is reached; sometimes anything. */
const mostlyValid = (valid: readonly string[], other: fc.Arbitrary<string>): fc.Arbitrary<string> =>
  fc.oneof({ arbitrary: fc.constantFrom(...valid), weight: 4 }, { arbitrary: other, weight: 1 });

const valueFor = (flag: string): fc.Arbitrary<string> => {
  if (flag === 'api.timeout') return mostlyValid(['100ms', '2s', '10s', '5m'], durationLike);
  if (flag === 'poll.interval') return mostlyValid(['1s', '15s', '1m', '2h'], durationLike);
  if (flag === 'poll.max-age') return mostlyValid(['1d', '24h', '2d'], durationLike);
  if (flag === 'poll.concurrency') return mostlyValid(['1', '4', '64'], numberLike);
  if (flag === 'web.listen-address') return mostlyValid([':10042', '127.0.0.1:0', '[::1]:9000'], listenLike);
  if (flag === 'api.base-url') return mostlyValid(['http://127.0.0.1:1/sms', 'https://api.example.com/sms/'], urlLike);
  if (flag === 'log.level') return levelLike;
  if (flag === 'web.telemetry-path')
    return mostlyValid(['/metrics', '/m'], fc.oneof(fc.constantFrom('/', '/healthz', 'metrics'), fc.string()));
  if (flag === 'config.file') return fc.constantFrom(FILE, '/missing.yml', '');
  // No file here holds a PEM certificate, so a CA file is always refused (test/config/ca-file.test.ts has the valid ones).
  if (flag === 'api.ca-file') return fc.constantFrom(SECRET_FILE, '/missing.pem');
  if (flag === 'api.proxy-url')
    return mostlyValid(['http://proxy.example:3128', 'http://user:pass@127.0.0.1:8888'], urlLike);
  // Every boolean flag (--web.enable-lifecycle, --web.systemd-socket, …).
  if (FLAGS.find((f) => f.flag === flag)?.boolean) return mostlyValid(['true', 'false'], fc.string());
  if (flag === 'numbers.interval') return mostlyValid(['15m', '1h'], durationLike);
  if (flag === 'numbers.due-date-utc-offset')
    return mostlyValid(['+08:00', '-05:00', '+05:30'], fc.oneof(fc.constantFrom('8', '+8:00', '+15:00'), fc.string()));
  if (flag === 'poll.schedule')
    return mostlyValid(
      ['*/30 * * * * *', '0 * * * *'],
      fc.oneof(fc.constantFrom('* * * * * * *', '61 * * * * *', ''), fc.string()),
    );
  return fc.string();
};

/** Files are named by the file inputs below; a random path would only ever be unreadable. */
const FILE_FLAGS = ['config.file', 'web.config.file'];
const valueFlags = FLAGS.map((f) => f.flag).filter((f) => !FILE_FLAGS.includes(f));
const list = (...items: string[]): string[] => items;

/** Flags as a user might type them: known ones with near-valid values, mode flags, unknown and secret-looking ones, junk. */
const argArb: fc.Arbitrary<string[]> = fc.oneof(
  {
    arbitrary: fc
      .constantFrom(...valueFlags)
      .chain((flag) => valueFor(flag).chain((v) => fc.constantFrom(list(`--${flag}=${v}`), list(`--${flag}`, v)))),
    weight: 8,
  },
  { arbitrary: fc.constantFrom(...FLAGS.map((f) => f.flag)).map((flag) => list(`--${flag}`)), weight: 1 },
  {
    arbitrary: fc
      .constantFrom(...MODE_FLAGS.map((f) => f.flag))
      .chain((flag) => fc.constantFrom(list(`--${flag}`), list(`--${flag}=yes`))),
    weight: 1,
  },
  {
    arbitrary: fc.constantFrom(
      list('--api.secret=x'),
      list('--api-key', 'k'),
      list('--nope'),
      list('-v'),
      list('--'),
      list('positional'),
      list('--='),
    ),
    weight: 1,
  },
  { arbitrary: fc.string().map((s) => list(s)), weight: 1 },
);
const argvArb = fc
  .array(argArb, { maxLength: 5 })
  .map((parts) => parts.flat().filter((a) => !/^--(help|version)\b/.test(a)));

const accountEnvArb: fc.Arbitrary<Record<string, string>> = fc.oneof(
  { arbitrary: fc.constant({ [ACCOUNT_ENV.key]: 'bDqJFiq9', [ACCOUNT_ENV.secret]: '7bz1lzh9' }), weight: 3 },
  { arbitrary: fc.constant({ [ACCOUNT_ENV.key]: 'bDqJFiq9', [ACCOUNT_ENV.secretFile]: SECRET_FILE }), weight: 1 },
  {
    arbitrary: fc.record(
      {
        [ACCOUNT_ENV.key]: fc.oneof(fc.constantFrom('bDqJFiq9', 'with space', ''), fc.string()),
        [ACCOUNT_ENV.secret]: fc.oneof(fc.constant('7bz1lzh9'), fc.string()),
        [ACCOUNT_ENV.secretFile]: fc.constantFrom(SECRET_FILE, '/missing'),
      },
      { requiredKeys: [] },
    ) as fc.Arbitrary<Record<string, string>>,
    weight: 2,
  },
);
const envArb = fc
  .tuple(
    accountEnvArb,
    fc.record(
      {
        ...Object.fromEntries(
          FLAGS.filter((f) => f.env && !FILE_FLAGS.includes(f.flag) && f.flag !== 'api.ca-file').map((f) => [
            f.env as string,
            valueFor(f.flag),
          ]),
        ),
        [ACCOUNT_ENV.name]: mostlyValid(['shop', 'otp.main'], fc.oneof(fc.constantFrom('bad name'), fc.string())),
        [ACCOUNT_ENV.threshold]: mostlyValid(['100', '-5', '12.5'], numberLike),
      },
      { requiredKeys: [] },
    ) as fc.Arbitrary<Record<string, string>>,
  )
  .map(([account, rest]) => ({ ...rest, ...account }));

/** Anything YAML can hold, including keys that shadow Object.prototype members. */
const yamlValue: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.string(),
    numberLike,
    durationLike,
    urlLike,
    fc.double(),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(fc.oneof(dangerousKey, fc.string()), tie('value'), { maxKeys: 3 }),
  ),
})).value;

const accountKey = fc.oneof(
  {
    arbitrary: fc.constantFrom('name', 'api_key', 'api_secret', 'api_secret_file', 'low_balance_threshold', 'base_url'),
    weight: 4,
  },
  { arbitrary: dangerousKey, weight: 1 },
  { arbitrary: fc.string(), weight: 1 },
);
const secretPart: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  { arbitrary: fc.constant({ api_secret: '7bz1lzh9' }), weight: 4 },
  { arbitrary: fc.constantFrom(SECRET_FILE, '/missing').map((f) => ({ api_secret_file: f })), weight: 2 },
  { arbitrary: fc.record({ api_secret: yamlValue, api_secret_file: yamlValue }, { requiredKeys: [] }), weight: 1 },
);
/** An account close to a valid one: the right keys, mostly sensible values, sometimes values of any type. */
const nearValidAccount = fc
  .tuple(
    fc.record(
      {
        name: fc.oneof(
          { arbitrary: fc.constantFrom('shop', 'otp', 'alerts.eu'), weight: 4 },
          { arbitrary: yamlValue, weight: 1 },
        ),
        api_key: fc.oneof(
          { arbitrary: fc.constantFrom('bDqJFiq9', 'K-22'), weight: 4 },
          { arbitrary: yamlValue, weight: 1 },
        ),
        low_balance_threshold: fc.oneof(
          { arbitrary: fc.oneof(fc.double(), fc.integer()), weight: 3 },
          { arbitrary: numberLike, weight: 1 },
          { arbitrary: yamlValue, weight: 1 },
        ),
        base_url: fc.oneof(
          { arbitrary: fc.constantFrom('http://127.0.0.1:1/sms', 'https://api.example.com/sms'), weight: 3 },
          { arbitrary: urlLike, weight: 1 },
          { arbitrary: yamlValue, weight: 1 },
        ),
      },
      { requiredKeys: ['name', 'api_key'] },
    ),
    secretPart,
  )
  .map(([fields, secret]) => ({ ...fields, ...secret }));
const accountEntry = fc.oneof(
  { arbitrary: nearValidAccount, weight: 6 },
  { arbitrary: fc.dictionary(accountKey, yamlValue, { maxKeys: 7 }), weight: 1 },
  { arbitrary: yamlValue, weight: 1 },
);
const structuredYaml = fc
  .tuple(
    fc.oneof(
      { arbitrary: fc.array(accountEntry, { minLength: 1, maxLength: 3 }), weight: 6 },
      { arbitrary: yamlValue, weight: 1 },
      { arbitrary: fc.constant(undefined), weight: 1 },
    ),
    fc.oneof(
      { arbitrary: fc.constant({}), weight: 6 },
      { arbitrary: fc.dictionary(fc.oneof(dangerousKey, fc.string()), yamlValue, { maxKeys: 2 }), weight: 1 },
    ),
  )
  .map(([accounts, extra]) => stringify({ ...extra, ...(accounts === undefined ? {} : { accounts }) }));

/** Anchors and aliases, fanned out: the shape of a "billion laughs" document. */
const aliasYaml = fc.tuple(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 5 })).map(([fan, depth]) => {
  const lines = ['l0: &l0 [x, x]'];
  for (let level = 1; level <= depth; level++)
    lines.push(`l${level}: &l${level} [${Array.from({ length: fan }, () => `*l${level - 1}`).join(', ')}]`);
  lines.push(`accounts: [{name: shop, api_key: k, api_secret: s, base_url: *l${depth}}]`);
  return lines.join('\n');
});

const yamlText = fc.oneof(
  { arbitrary: structuredYaml, weight: 6 },
  aliasYaml,
  fc.string(),
  fc.constantFrom(
    '',
    '---\n...\n',
    'accounts: !!binary aGk=',
    'accounts: !!set {a, b}',
    'a: &x [*x]\naccounts: *x\n',
    'accounts:\n  - *nope\n',
  ),
);

const fileInputs: fc.Arbitrary<Inputs> = fc
  .tuple(
    fc.oneof({ arbitrary: fc.constant<string[]>([]), weight: 2 }, { arbitrary: argvArb, weight: 1 }),
    yamlText,
    fc.option(fc.oneof(fc.string(), fc.constant('7bz1lzh9\n')), { nil: undefined }),
  )
  .map(([argv, yaml, secretFile]) => ({
    argv: [`--config.file=${FILE}`, ...argv],
    env: {},
    files: { [FILE]: yaml, ...(secretFile === undefined ? {} : { [SECRET_FILE]: secretFile }) },
  }));

describe('loadConfig properties', () => {
  test('random argv and environment: a command or a ConfigError, and every number finite', () => {
    const outcomes = { run: 0, error: 0 };
    fc.assert(
      fc.property(argvArb, envArb, fc.option(fc.string(), { nil: undefined }), (argv, env, secretFile) => {
        const result = loadChecked({ argv, env, files: secretFile === undefined ? {} : { [SECRET_FILE]: secretFile } });
        outcomes[result instanceof ConfigError ? 'error' : 'run']++;
      }),
      { numRuns: 1500 },
    );
    // Both outcomes must be common, or the generator is not exercising the valid path.
    expect(outcomes.run).toBeGreaterThan(5);
    expect(outcomes.error).toBeGreaterThan(5);
  });

  test('random YAML files, structured and not: a command or a ConfigError, and every number finite', () => {
    const outcomes = { run: 0, error: 0 };
    fc.assert(
      fc.property(fileInputs, (inputs) => {
        const result = loadChecked(inputs);
        outcomes[result instanceof ConfigError ? 'error' : 'run']++;
      }),
      { numRuns: 1500 },
    );
    expect(outcomes.run).toBeGreaterThan(5);
    expect(outcomes.error).toBeGreaterThan(5);
  });

  test.each([
    [
      'a threshold mapping whose toString is not a function',
      'accounts:\n  - name: shop\n    api_key: k\n    api_secret: s\n    low_balance_threshold: {toString: 1}\n',
    ],
    [
      'a base_url mapping whose toString is not a function',
      'accounts:\n  - name: shop\n    api_key: k\n    api_secret: s\n    base_url: {toString: 1}\n',
    ],
    [
      'an alias bomb',
      'a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\naccounts: [*c]\n',
    ],
  ])('%s is a ConfigError', (_what, yaml) => {
    expect(loadChecked({ argv: [`--config.file=${FILE}`], env: {}, files: { [FILE]: yaml } })).toBeInstanceOf(
      ConfigError,
    );
  });
});
