import { formatDuration, parseDuration } from './duration';
import type { Problems } from './problems';
import { intervalToCron } from './schedule';
import type { Setting } from './sources';

/** The rented-numbers collector's settings: --collector.numbers, --numbers.interval, the due-date offset. */

export interface NumbersSettings {
  /** --collector.numbers: poll number/queryPage for every account that does not opt out. */
  enabled: boolean;
  /** Six-field node-cron expression of the numbers poll. */
  schedule: string;
  /** "every 1h". */
  description: string;
  intervalMs: number;
  /** Minutes east of UTC at which a due date's 00:00 is read (ITNIO writes its times in UTC+8). */
  dueDateUtcOffsetMinutes: number;
}

const MIN_NUMBERS_INTERVAL_MS = 60_000;
const MAX_NUMBERS_INTERVAL_MS = 86_400_000;
const OFFSET_RE = /^([+-])(\d{2}):(\d{2})$/;

function parseSwitch(setting: Setting, problems: Problems): boolean | undefined {
  if (setting.value === 'true') return true;
  if (setting.value === 'false') return false;
  problems.invalid(setting.source, setting.value, setting.expected);
  return undefined;
}

function parseNumbersInterval(setting: Setting, problems: Problems): { ms: number; expression: string } | undefined {
  const ms = parseDuration(setting.value);
  if (ms === undefined || ms < MIN_NUMBERS_INTERVAL_MS || ms > MAX_NUMBERS_INTERVAL_MS) {
    problems.invalid(setting.source, setting.value, setting.expected);
    return undefined;
  }
  const cron = intervalToCron(ms);
  if ('error' in cron) {
    problems.add(`${setting.source}: ${cron.error}`);
    return undefined;
  }
  return { ms, expression: cron.expression };
}

/** `+08:00` style, from -12:00 to +14:00, to minutes east of UTC. */
function parseUtcOffset(setting: Setting, problems: Problems): number | undefined {
  const match = OFFSET_RE.exec(setting.value.trim());
  const minutes = match ? Number(match[2]) * 60 + Number(match[3]) : NaN;
  const signed = match?.[1] === '-' ? -minutes : minutes;
  if (!match || Number(match[3]) > 59 || signed < -12 * 60 || signed > 14 * 60) {
    problems.invalid(setting.source, setting.value, setting.expected);
    return undefined;
  }
  return signed;
}

/**
 * All three settings, or undefined with every problem recorded. The last good numbers are kept
 * for --poll.max-age like balances, so with the collector on it must cover the numbers interval.
 */
export function parseNumbersSettings(
  settings: { enabled: Setting; interval: Setting; offset: Setting; maxAge: Setting },
  problems: Problems,
): NumbersSettings | undefined {
  const enabled = parseSwitch(settings.enabled, problems);
  const interval = parseNumbersInterval(settings.interval, problems);
  const offset = parseUtcOffset(settings.offset, problems);
  if (enabled === undefined || interval === undefined || offset === undefined) return undefined;
  const maxAgeMs = parseDuration(settings.maxAge.value);
  if (enabled && maxAgeMs !== undefined && maxAgeMs < interval.ms) {
    problems.add(
      `${settings.maxAge.source}: "${settings.maxAge.value}" is shorter than ${settings.interval.source} ` +
        `${formatDuration(interval.ms)}; the numbers would vanish between polls`,
    );
    return undefined;
  }
  return {
    enabled,
    schedule: interval.expression,
    description: `every ${formatDuration(interval.ms)}`,
    intervalMs: interval.ms,
    dueDateUtcOffsetMinutes: offset,
  };
}
