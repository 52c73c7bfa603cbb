import cron from 'node-cron';
import { checkCaBundle } from './ca-bundle';
import { formatDuration, parseDuration } from './duration';
import { baseUrlProblem, parseHttpUrl, withoutCredentials } from './http-url';
import { parseListenAddress, type ListenAddress } from './listen-address';
import type { Problems } from './problems';
import { intervalToCron, longestGapMs, MAX_POLL_INTERVAL_MS, MIN_POLL_INTERVAL_MS } from './schedule';
import type { Setting } from './sources';
import { loadWebConfig, type WebConfig } from './web-config';
import { LOG_LEVELS, type LogLevel } from '../log/levels';

/**
 * One parser per flag: each takes the resolved setting and returns its value, or records why it
 * cannot and returns undefined. The accounts are parsed in accounts.ts.
 */

type ReadFile = (path: string) => string;

function refuse(setting: Setting, problems: Problems): undefined {
  problems.invalid(setting.source, setting.value, setting.expected);
  return undefined;
}

/** A duration from `minMs` to `maxMs`. */
function parseDurationIn(setting: Setting, problems: Problems, minMs: number, maxMs = Infinity): number | undefined {
  const ms = parseDuration(setting.value);
  return ms !== undefined && ms >= minMs && ms <= maxMs ? ms : refuse(setting, problems);
}

export function parseListen(setting: Setting, problems: Problems): ListenAddress | undefined {
  return parseListenAddress(setting.value) ?? refuse(setting, problems);
}

/** Paths the exporter serves itself; the telemetry path may not take one. */
/** Paths the exporter serves itself, which --web.telemetry-path may not take. */
export const RESERVED_PATHS = ['/healthz', '/readyz', '/-/healthy', '/-/ready', '/api/v1/status', '/-/reload'];
// A plain literal path: the server matches it exactly, as a route pattern it could shadow others.
const PLAIN_PATH_RE = /^(?:\/[A-Za-z0-9._~-]+)+$/;

export function parseTelemetryPath(setting: Setting, problems: Problems): string | undefined {
  if (!PLAIN_PATH_RE.test(setting.value)) return refuse(setting, problems);
  if (RESERVED_PATHS.includes(setting.value.toLowerCase())) {
    const taken = `"${setting.value}" is taken by the exporter itself`;
    problems.add(`${setting.source}: ${taken}; choose another path such as /metrics`);
    return undefined;
  }
  return setting.value;
}

export function parseBaseUrl(setting: Setting, problems: Problems): string | undefined {
  if (parseHttpUrl(setting.value)) return setting.value;
  problems.invalid(setting.source, withoutCredentials(setting.value), setting.expected, baseUrlProblem(setting.value));
  return undefined;
}

export function parseApiTimeout(setting: Setting, problems: Problems): number | undefined {
  return parseDurationIn(setting, problems, 100, 300_000);
}

/**
 * Read here to refuse a file without CA certificates at start-up and on reload; the client reads it
 * again. The text is kept so that a reload can tell that the certificates changed (a restart applies them).
 */
export function parseCaFile(
  setting: Setting | undefined,
  readFile: ReadFile,
  problems: Problems,
  warnings: string[],
): { path: string; pem: string } | undefined {
  if (!setting) return undefined;
  const text = problems.readFile(readFile, setting.value, setting.source, setting.expected);
  if (text === undefined) return undefined;
  const { problem, warning } = checkCaBundle(text);
  if (problem) {
    problems.invalid(setting.source, setting.value, setting.expected, problem);
    return undefined;
  }
  if (warning) warnings.push(`${setting.source}: "${setting.value}" ${warning}`);
  return { path: setting.value, pem: text };
}

export interface PollSchedule {
  /** Six-field node-cron expression, or the five- or six-field one given. */
  expression: string;
  /** "every 1m" or "on cron schedule …". */
  description: string;
}

/** --poll.schedule when given, else --poll.interval turned into a cron expression. */
export function parsePollSchedule(
  schedule: Setting | undefined,
  interval: Setting,
  problems: Problems,
): PollSchedule | undefined {
  if (schedule) {
    const expression = schedule.value.trim();
    if (!cron.validate(expression)) return refuse(schedule, problems);
    return { expression, description: `on cron schedule "${expression}"` };
  }
  const intervalMs = parseDurationIn(interval, problems, MIN_POLL_INTERVAL_MS, MAX_POLL_INTERVAL_MS);
  if (intervalMs === undefined) return undefined;
  const result = intervalToCron(intervalMs);
  if ('error' in result) {
    problems.add(`${interval.source}: ${result.error} (--poll.schedule)`);
    return undefined;
  }
  return { expression: result.expression, description: `every ${formatDuration(intervalMs)}` };
}

/** The longest wait between two polls: balances must not expire while the next one is due. */
export interface PollGap {
  ms: number;
  name: 'poll interval' | 'longest gap between scheduled polls';
}

/** Known for every interval that reads as a duration, even one parsePollSchedule refuses. */
export function pollGap(schedule: Setting | undefined, interval: Setting): PollGap | undefined {
  if (schedule) {
    const expression = schedule.value.trim();
    if (!cron.validate(expression)) return undefined;
    return { ms: longestGapMs(expression), name: 'longest gap between scheduled polls' };
  }
  const ms = parseDuration(interval.value);
  return ms === undefined ? undefined : { ms, name: 'poll interval' };
}

export function parseMaxAge(setting: Setting, gap: PollGap | undefined, problems: Problems): number | undefined {
  const ms = parseDurationIn(setting, problems, 1000);
  if (ms === undefined || gap === undefined || ms >= gap.ms) return ms;
  problems.add(
    `${setting.source}: "${setting.value}" is shorter than the ${gap.name} ${formatDuration(gap.ms)}; ` +
      'balances would vanish between polls',
  );
  return undefined;
}

export function parseConcurrency(setting: Setting, problems: Problems): number | undefined {
  const concurrency = Number(setting.value);
  const valid = /^\d+$/.test(setting.value) && concurrency >= 1 && concurrency <= 64;
  return valid ? concurrency : refuse(setting, problems);
}

export function parseLogLevel(setting: Setting, problems: Problems): LogLevel | undefined {
  const level = LOG_LEVELS.find((l) => l === setting.value);
  return level ?? refuse(setting, problems);
}

export function parseBoolean(setting: Setting, problems: Problems): boolean | undefined {
  if (setting.value === 'true') return true;
  if (setting.value === 'false') return false;
  return refuse(setting, problems);
}

/** Its problems are prefixed with the setting's source; each already names the file and key. */
export function parseWebConfigFile(
  setting: Setting | undefined,
  readFile: ReadFile,
  problems: Problems,
): WebConfig | undefined {
  if (!setting) return undefined;
  const result = loadWebConfig(setting.value, readFile);
  for (const problem of result.problems) problems.add(`${setting.source}: ${problem}`);
  return result.config;
}
