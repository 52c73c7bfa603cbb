import { parseArgs } from 'node:util';
import { ACCOUNT_ENV } from './accounts';
import { DURATION_FORM } from './duration';
import { BASE_URL_FORM } from './http-url';
import type { Problems } from './problems';
import { PROXY_URL_FORM } from './proxy-settings';
import { EVEN_INTERVALS_HELP } from './schedule';
import { RESERVED_PATHS } from './settings';
import type { ConfigSources, Setting } from './sources';
import { LOG_LEVELS } from '../log/levels';

/** The command line: its flags, their variables and defaults, how argv is read, and --help. */

interface FlagSpec {
  flag: string;
  env?: string;
  default?: string;
  /** What a value must look like: ends "is not valid; expected …" and "needs a value: …". */
  form: string;
  help: string;
  /** Given bare (--flag) or as true/false. */
  boolean?: true;
  /** May be given more than once; its variable then holds the values separated by commas. */
  multiple?: true;
  /** Where docs/configuration.md says more: a link target such as "#accounts-file" or "metrics.md#series". */
  docs?: string;
}

export const FLAGS: readonly FlagSpec[] = [
  {
    flag: 'web.listen-address',
    env: 'ITNIO_LISTEN_ADDRESS',
    default: ':10042',
    form: 'host:port, :port or [ipv6]:port',
    help: 'Address to serve /metrics and the status page on; repeat the flag to serve on several (ITNIO_LISTEN_ADDRESS: comma-separated).',
    multiple: true,
  },
  {
    flag: 'web.systemd-socket',
    env: 'ITNIO_WEB_SYSTEMD_SOCKET',
    default: 'false',
    form: 'true or false',
    help: 'Serve on the sockets systemd passes (socket activation, LISTEN_FDS) instead of --web.listen-address.',
    boolean: true,
    docs: 'install/systemd.md#socket-activation',
  },
  {
    flag: 'web.config.file',
    env: 'ITNIO_WEB_CONFIG_FILE',
    form: 'a path to a Prometheus exporter-toolkit web config YAML file',
    help: 'Web config file enabling TLS and/or basic auth (Prometheus exporter-toolkit format).',
    docs: '#web-configuration-file',
  },
  {
    flag: 'web.enable-lifecycle',
    env: 'ITNIO_WEB_ENABLE_LIFECYCLE',
    default: 'false',
    form: 'true or false',
    help: 'Enable POST /-/reload to re-read the configuration (as SIGHUP does).',
    boolean: true,
    docs: '#reloading-the-configuration',
  },
  {
    flag: 'web.telemetry-path',
    env: 'ITNIO_TELEMETRY_PATH',
    default: '/metrics',
    form: 'a path of /-separated segments of letters, digits, ".", "_", "~" or "-", such as /metrics',
    help: `Path under which to expose metrics (not ${RESERVED_PATHS.join(', ')}).`,
  },
  {
    flag: 'config.file',
    env: 'ITNIO_CONFIG_FILE',
    form: 'a path to a YAML file',
    help: 'YAML file listing the accounts to poll.',
    docs: '#accounts-file',
  },
  {
    flag: 'config.watch',
    env: 'ITNIO_CONFIG_WATCH',
    default: 'true',
    form: 'true or false',
    help: 'Reload by itself when a file the configuration was read from changes (accounts, secrets, web config).',
    boolean: true,
    docs: '#reloading-the-configuration',
  },
  {
    flag: 'api.base-url',
    env: 'ITNIO_BASE_URL',
    default: 'https://api.itniotech.com/sms',
    form: BASE_URL_FORM,
    help: 'ITNIO API base URL; /getBalance is appended.',
  },
  {
    flag: 'api.timeout',
    env: 'ITNIO_API_TIMEOUT',
    default: '10s',
    form: `${DURATION_FORM}, from 100ms to 5m`,
    help: 'Time limit for one getBalance request, body included.',
  },
  {
    flag: 'api.ca-file',
    env: 'ITNIO_API_CA_FILE',
    form: 'a path to a PEM file of CA certificates',
    help: "Extra CA certificates to trust for the API, besides Node.js' own list (TLS is always verified).",
  },
  {
    flag: 'api.proxy-url',
    env: 'ITNIO_API_PROXY_URL',
    form: PROXY_URL_FORM,
    help: 'Egress proxy for the API; overrides HTTPS_PROXY/HTTP_PROXY (NO_PROXY still applies). HTTPS goes through a CONNECT tunnel.',
    docs: '#egress-proxy',
  },
  {
    flag: 'poll.interval',
    env: 'ITNIO_POLL_INTERVAL',
    default: '60s',
    form: `a duration from 1s to 24h that cron fires evenly: ${EVEN_INTERVALS_HELP}`,
    help: 'How often to poll every account.',
    docs: '#durations-and-poll-intervals',
  },
  {
    flag: 'poll.schedule',
    env: 'ITNIO_POLL_SCHEDULE',
    form: 'a cron expression with 5 or 6 fields, e.g. "*/30 * * * * *"',
    help: 'Cron schedule for polls; overrides --poll.interval.',
    docs: '#polling',
  },
  {
    flag: 'poll.max-age',
    env: 'ITNIO_POLL_MAX_AGE',
    default: '1h',
    form: `${DURATION_FORM}, at least 1s and the poll interval`,
    help: 'After failed polls, keep the last good balance this long, then drop its series.',
    docs: 'metrics.md#after-a-failed-poll',
  },
  {
    flag: 'poll.spread',
    env: 'ITNIO_POLL_SPREAD',
    default: 'true',
    form: 'true or false',
    help: 'Spread each scheduled round over the interval (at most 1m): each account polls at its own stable offset after the slot, from a hash of its name and the host name. false polls every account at the slot.',
    boolean: true,
  },
  {
    flag: 'poll.concurrency',
    env: 'ITNIO_POLL_CONCURRENCY',
    default: '4',
    form: 'a whole number from 1 to 64',
    help: 'Most getBalance requests in flight at once.',
  },
  {
    flag: 'collector.numbers',
    env: 'ITNIO_COLLECTOR_NUMBERS',
    default: 'false',
    form: 'true or false',
    help: "Poll each account's rented numbers (POST number/queryPage at the API root: --api.base-url without a trailing /sms) and export their due dates; an account opts out with numbers: false in the accounts file.",
    boolean: true,
  },
  {
    flag: 'numbers.interval',
    env: 'ITNIO_NUMBERS_INTERVAL',
    default: '1h',
    form: 'a duration from 1m to 24h that cron fires evenly, such as 15m, 1h or 6h',
    help: "How often to poll every account's rented numbers (with --collector.numbers); never on the scrape path.",
  },
  {
    flag: 'numbers.due-date-utc-offset',
    env: 'ITNIO_NUMBERS_DUE_DATE_UTC_OFFSET',
    default: '+08:00',
    form: 'a UTC offset from -12:00 to +14:00, such as +08:00',
    help: "UTC offset at which a number's due date (yyyy-MM-dd, no zone) starts: it is due at 00:00 of that date there. ITNIO writes its times in UTC+8.",
  },
  {
    flag: 'log.level',
    env: 'ITNIO_LOG_LEVEL',
    default: 'info',
    form: LOG_LEVELS.join(', '),
    help: 'Log level.',
  },
];

export const MODE_FLAGS = [
  {
    flag: 'check',
    help: 'Poll each account once, print the result, exit 0 if all succeeded, 1 otherwise.',
    docs: '#checking-a-configuration',
  },
  { flag: 'config.check', help: 'Validate the configuration and exit.', docs: '#checking-a-configuration' },
  { flag: 'help', help: 'Show this help and exit.' },
  { flag: 'version', help: 'Show the version and exit.' },
] as const;

/** The command line as read: what to do, and each setting resolved from flag, variable or default. */
export interface CommandLine {
  mode: 'help' | 'version' | 'serve' | 'check' | 'config-check';
  /** A flag without a default: undefined when neither the flag nor its variable is given. */
  optional(flag: string): Setting | undefined;
  /** A flag with a default. */
  setting(flag: string): Setting;
  /** Every value of a repeatable flag: all its flags, else its variable split at commas, else the default. */
  all(flag: string): Setting[];
}

function specOf(flag: string): FlagSpec {
  const spec = FLAGS.find((f) => f.flag === flag);
  if (!spec) throw new Error(`no flag --${flag} in FLAGS`);
  return spec;
}

type ArgValues = Record<string, string | boolean | Array<string | boolean> | undefined>;

/** Records each unknown, misused or secret-looking flag, and the stray arguments. */
function checkArguments(values: ArgValues, strayArguments: number, problems: Problems): void {
  // Not quoted: after a refused "--api.secret VALUE" the value arrives here, and may be a secret.
  if (strayArguments > 0) {
    problems.add(
      `${strayArguments} unexpected argument(s) that are not flags (not shown, as they may hold a secret); ` +
        'flags look like --name=value',
    );
  }
  for (const [name, value] of Object.entries(values)) {
    const spec = FLAGS.find((f) => f.flag === name);
    const isModeFlag = MODE_FLAGS.some((f) => f.flag === name);
    if (spec?.boolean) continue;
    if (!spec && !isModeFlag) {
      problems.add(
        /secret|key|password|token/i.test(name)
          ? `--${name}: secrets are not accepted as flags (they would show in ps); ` +
              `use ${ACCOUNT_ENV.key} with ${ACCOUNT_ENV.secretFile}, or --config.file`
          : `unknown flag --${name}; see --help`,
      );
    } else if (
      spec &&
      (spec.multiple ? !Array.isArray(value) || value.some((v) => typeof v !== 'string') : typeof value !== 'string')
    ) {
      problems.add(`--${name} needs a value: ${spec.form}`);
    } else if (isModeFlag && typeof value !== 'boolean') {
      problems.add(`--${name} takes no value`);
    }
  }
}

/** Reads argv, recording each unknown, misused or secret-looking flag and every stray argument. */
export function readCommandLine(sources: ConfigSources, problems: Problems): CommandLine {
  const options = Object.fromEntries([
    ...FLAGS.map((f) => [
      f.flag,
      { type: f.boolean ? ('boolean' as const) : ('string' as const), ...(f.multiple ? { multiple: true } : {}) },
    ]),
    ...MODE_FLAGS.map((f) => [f.flag, { type: 'boolean' as const }]),
  ]);
  const args = [...sources.argv];
  const { values, positionals } = parseArgs({ args, options, strict: false, allowPositionals: true });

  checkArguments(values, positionals.length, problems);

  const optional = (flag: string): Setting | undefined => {
    const spec = specOf(flag);
    const expected = spec.form;
    const given = values[flag];
    const fromFlag = Array.isArray(given) ? given[given.length - 1] : given;
    if (typeof fromFlag === 'string') return { value: fromFlag, source: `--${flag}`, expected };
    if (fromFlag === true && spec.boolean) return { value: 'true', source: `--${flag}`, expected };
    const fromEnv = spec.env ? sources.env[spec.env] : undefined;
    if (spec.env && fromEnv !== undefined && fromEnv !== '') return { value: fromEnv, source: spec.env, expected };
    if (spec.default !== undefined) return { value: spec.default, source: `--${flag} (default)`, expected };
    return undefined;
  };
  const all = (flag: string): Setting[] => {
    const given = values[flag];
    const expected = specOf(flag).form;
    if (Array.isArray(given) && given.every((v) => typeof v === 'string')) {
      return given.map((value) => ({ value: value as string, source: `--${flag}`, expected }));
    }
    const one = optional(flag);
    if (!one) return [];
    if (one.source === specOf(flag).env) return one.value.split(',').map((value) => ({ ...one, value: value.trim() }));
    return [one];
  };
  return {
    mode: modeOf(values),
    optional,
    all,
    setting: (flag) => {
      const setting = optional(flag);
      if (!setting) throw new Error(`--${flag} has no default in FLAGS`);
      return setting;
    },
  };
}

function modeOf(values: ArgValues): CommandLine['mode'] {
  if (values.help === true) return 'help';
  if (values.version === true) return 'version';
  if (values.check === true) return 'check';
  if (values['config.check'] === true) return 'config-check';
  return 'serve';
}

export function helpText(): string {
  const lines = [
    'Usage: itniotech-exporter [flags]',
    '',
    'Prometheus exporter for ITNIO Tech account balances.',
    '',
    'Flags:',
  ];
  for (const f of FLAGS) {
    lines.push(f.boolean ? `  --${f.flag}` : `  --${f.flag}=VALUE`);
    const env = f.env ? ` [env ${f.env}]` : '';
    const byDefault = f.default && !f.boolean ? ` (default ${f.default})` : '';
    lines.push(`      ${f.help}${env}${byDefault}`);
  }
  for (const f of MODE_FLAGS) lines.push(`  --${f.flag}`, `      ${f.help}`);
  lines.push(
    '',
    'One account without a file (secrets only from the environment or files, never flags):',
    `  ${ACCOUNT_ENV.key}, ${ACCOUNT_ENV.secret} or ${ACCOUNT_ENV.secretFile}, ` +
      `optional ${ACCOUNT_ENV.name} (default "default") and ${ACCOUNT_ENV.threshold}.`,
  );
  return lines.join('\n');
}
