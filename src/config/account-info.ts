import type { Problems } from './problems';

/**
 * What an account is, beyond its credentials: the currency ITNIO quotes it in and the user's own
 * labels (such as `team: payments`), exported once on itniotech_account_info.
 */

/** Label names the exporter sets itself, or that Prometheus reserves, or that it sets on every target. */
const RESERVED_LABEL_NAMES = [
  'account',
  'number',
  'status',
  'state',
  'reason',
  'country',
  'type',
  'currency',
  'job',
  'instance',
] as const;

const LABEL_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const MAX_LABELS = 16;
const MAX_LABEL_VALUE_LENGTH = 128;

/** ISO 4217 codes this Node.js knows, upper case. */
const CURRENCIES = new Set(Intl.supportedValuesOf('currency'));

const show = (value: unknown): string => (typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value)));

/** `currency`: an ISO 4217 code such as USD or EUR. */
export function parseCurrency(value: unknown, source: string, problems: Problems): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string' && CURRENCIES.has(value)) return value;
  problems.invalid(source, show(value), 'an ISO 4217 currency code in capitals, such as USD or EUR');
  return undefined;
}

function labelNameProblem(name: string): string | undefined {
  if (!LABEL_NAME_RE.test(name))
    return 'is not a Prometheus label name (letters, digits and "_", not starting with a digit)';
  if (name.startsWith('__')) return 'is reserved: names starting with "__" are internal to Prometheus';
  if ((RESERVED_LABEL_NAMES as readonly string[]).includes(name)) {
    return `is reserved: the exporter or Prometheus sets it (reserved: ${RESERVED_LABEL_NAMES.join(', ')}, __*)`;
  }
  return undefined;
}

/** `labels`: a small mapping of Prometheus label names to short text values. */
export function parseLabels(value: unknown, source: string, problems: Problems): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    problems.invalid(source, show(value), 'a mapping of label names to values, such as {team: payments}');
    return undefined;
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > MAX_LABELS)
    problems.add(`${source}: ${entries.length} labels; at most ${MAX_LABELS} are allowed`);
  const labels: Record<string, string> = {};
  for (const [name, raw] of entries) {
    const nameProblem = labelNameProblem(name);
    if (nameProblem) {
      problems.add(`${source}.${name}: the label name "${name}" ${nameProblem}`);
      continue;
    }
    const text =
      typeof raw === 'string' || typeof raw === 'number' || typeof raw === 'boolean' ? String(raw) : undefined;
    if (text === undefined || text.length > MAX_LABEL_VALUE_LENGTH) {
      problems.invalid(`${source}.${name}`, show(raw), `a text value of at most ${MAX_LABEL_VALUE_LENGTH} characters`);
      continue;
    }
    labels[name] = text;
  }
  return labels;
}
