const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

const DURATION_RE = /^(?:(\d+)(ms|s|m|h|d))+$/;
const PART_RE = /(\d+)(ms|s|m|h|d)/g;

export const DURATION_FORM = 'a duration such as 500ms, 30s, 5m, 1h or 1h30m';

/** Parses a Prometheus-style duration ("30s", "1h30m") into milliseconds, or undefined. */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (!DURATION_RE.test(trimmed)) return undefined;
  let total = 0;
  let previousSize = Infinity;
  for (const match of trimmed.matchAll(PART_RE)) {
    const size = UNIT_MS[match[2] as string] as number;
    // As in Prometheus: each unit at most once, largest first ("1h30m", not "30m1h" or "1h1h").
    if (size >= previousSize) return undefined;
    previousSize = size;
    total += Number(match[1]) * size;
  }
  return Number.isSafeInteger(total) ? total : undefined;
}

/** Formats milliseconds the way parseDuration reads them, largest units first ("1h30m"). */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  const parts: string[] = [];
  let rest = ms;
  for (const unit of ['d', 'h', 'm', 's', 'ms']) {
    const size = UNIT_MS[unit] as number;
    const count = Math.floor(rest / size);
    if (count > 0) {
      parts.push(`${count}${unit}`);
      rest -= count * size;
    }
  }
  return parts.join('');
}
