/**
 * The one vocabulary of failed polls: every getBalance status the API documents and every
 * reason a request can fail without one, each with what it means and what to do. Logs,
 * `--check`, the status page, its JSON API and the dashboard's legends all read this table;
 * a new status code is one more row.
 */

export interface FailureWords {
  /** What happened, in a few words (logs, `--check`, the status page). */
  meaning: string;
  /** What to do about it. */
  hint: string;
  /** A shorter label for the dashboard's legend and table. */
  legend: string;
}

/**
 * Statuses other than 0 (success): getBalance's own, -15 from a white-label twin of the API, the
 * rest of ITNIO's global status table, and those its number pages add (-20, -22, -24), as its API
 * documentation lists them (docs/metrics.md#status-codes-and-failure-reasons shows this table).
 */
export const API_STATUSES = {
  '-1': {
    meaning: 'authentication error (wrong API key or sign)',
    hint: 'check the API key and secret in the ITNIO console; the secret is case-sensitive',
    legend: 'authentication error',
  },
  '-2': {
    meaning: 'IP access restricted (this host is not on the account allow list)',
    hint: "add this host's public IP address to the account's IP allow list",
    legend: 'IP access restricted',
  },
  '-10': {
    meaning: 'insufficient balance',
    hint: 'top up the account in the ITNIO console; the exporter keeps the last good balance and counts this as a failure',
    legend: 'insufficient balance',
  },
  '-12': {
    meaning: 'platform error (server-side fault at ITNIO)',
    hint: 'a fault on the ITNIO side; it usually passes, contact ITNIO support if it persists',
    legend: 'ITNIO platform error',
  },
  '-13': { meaning: 'user locked', hint: 'the account is locked; contact ITNIO support', legend: 'user locked' },
  '-15': {
    meaning: 'query too frequently (rate limited)',
    hint: 'the exporter backs this account off by itself (itniotech_poll_backoff_seconds); if it persists, find what else polls with this API key, or poll less often (--poll.interval)',
    legend: 'rate limited',
  },
  '-16': {
    meaning: 'timestamp outside the allowed time range (clock skew)',
    hint: "synchronise this host's clock (NTP); the Timestamp must be Unix seconds within about 30 minutes of ITNIO's clock",
    legend: 'clock skew',
  },
  '-18': {
    meaning: 'port program exception (server-side fault at ITNIO)',
    hint: 'a fault on the ITNIO side; it usually passes, contact ITNIO support if it persists',
    legend: 'ITNIO server fault',
  },
  '-20': {
    meaning: 'data exists (number endpoints)',
    hint: 'ITNIO refused a number request because the data already exists; the exporter only lists numbers, so report this to ITNIO support',
    legend: 'data exists',
  },
  '-22': {
    meaning: 'parameter exception (number endpoints)',
    hint: 'ITNIO refused the number/queryPage body; check that --api.base-url points at the ITNIO API root that serves /number/queryPage',
    legend: 'parameter exception',
  },
  '-24': {
    meaning: 'data not present (number endpoints)',
    hint: 'ITNIO has no number data for this key; rent a number, or opt the account out with numbers: false in the accounts file',
    legend: 'data not present',
  },
  '-29': {
    meaning: 'WorkSpace disabled',
    hint: 'the workspace is switched off: enable it in the ITNIO console, or ask ITNIO support why it was',
    legend: 'WorkSpace disabled',
  },
  '-30': {
    meaning: 'API Key disabled',
    hint: 'the API key is switched off: enable it in the ITNIO console or issue a new key and secret',
    legend: 'API Key disabled',
  },
  '-31': {
    meaning: 'IP not in whitelist',
    hint: "add this host's public IP address to the API key's IP whitelist in the ITNIO console",
    legend: 'IP not in whitelist',
  },
  '-32': {
    meaning: 'API Key lacks permission',
    hint: 'the API key may not call getBalance: grant it the permission in the ITNIO console, or use a key that has it',
    legend: 'API Key lacks permission',
  },
} as const satisfies Record<string, FailureWords>;

export type KnownApiStatus = keyof typeof API_STATUSES;

/** Documented only for the number endpoints: getBalance's counters do not present them. */
const NUMBERS_ONLY_STATUSES: readonly KnownApiStatus[] = ['-20', '-22', '-24'];

/** Every status the table documents, in table order. */
export const ALL_API_STATUSES = Object.keys(API_STATUSES) as KnownApiStatus[];

/** The statuses getBalance's series present at 0 from start-up (every documented one that is not numbers-only). */
export const KNOWN_API_STATUSES = ALL_API_STATUSES.filter((s) => !NUMBERS_ONLY_STATUSES.includes(s));

/** A status the table does not know: said as such, never guessed. */
export const UNDOCUMENTED_STATUS: FailureWords = {
  meaning: 'undocumented status',
  hint: 'not documented by ITNIO; see the reason text and contact ITNIO support',
  legend: 'undocumented status',
};

/** Why a request got no usable getBalance answer at all (the client's reasons). */
const FAILURE_REASON_WORDS = {
  timeout: {
    meaning: 'no answer within the timeout',
    hint: 'check that this host reaches the API host, or raise --api.timeout if the API is just slow',
    legend: 'timeout',
  },
  network: {
    meaning: 'network or TLS error',
    hint: 'check DNS, firewall, proxy and TLS (--api.ca-file) between this host and the API',
    legend: 'network or TLS error',
  },
  proxy: {
    meaning: 'egress proxy failed',
    hint: 'check the proxy named by --api.proxy-url or HTTPS_PROXY/HTTP_PROXY (address, port, user and password), or exempt the API host with NO_PROXY',
    legend: 'proxy failure',
  },
  http_status: {
    meaning: 'unexpected HTTP status',
    hint: 'the API, or a proxy in front of it, answered with an HTTP error; the exporter log has the status',
    legend: 'unexpected HTTP status',
  },
  invalid_response: {
    meaning: 'answer was not a valid getBalance response',
    hint: 'the answer was not getBalance JSON; check --api.base-url (or base_url) points at the ITNIO API',
    legend: 'invalid answer',
  },
} as const satisfies Record<string, FailureWords>;

export type FailureReason = keyof typeof FAILURE_REASON_WORDS;
export const FAILURE_REASONS = Object.keys(FAILURE_REASON_WORDS) as FailureReason[];

const has = <T extends object>(table: T, key: string): key is Extract<keyof T, string> => Object.hasOwn(table, key);

/** The words for an API status, or for an undocumented one. */
export function apiStatusWords(status: string): FailureWords {
  return has(API_STATUSES, status) ? API_STATUSES[status] : UNDOCUMENTED_STATUS;
}

/** The words for a request failure reason. */
export function failureReasonWords(reason: string): FailureWords {
  return has(FAILURE_REASON_WORDS, reason)
    ? FAILURE_REASON_WORDS[reason]
    : { meaning: reason, hint: 'see the exporter log', legend: reason };
}

export const statusMeaning = (status: string): string => apiStatusWords(status).meaning;
export const statusHint = (status: string): string => apiStatusWords(status).hint;
