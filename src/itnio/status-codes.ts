/** Status codes documented for getBalance; -15 comes from a white-label twin of the API. */
export const KNOWN_API_STATUSES = ['-1', '-2', '-13', '-15', '-16', '-18'] as const;

const MEANINGS: Record<string, string> = {
  '-1': 'authentication error (wrong API key or sign)',
  '-2': 'IP access restricted (this host is not on the account allow list)',
  '-13': 'user locked',
  '-15': 'query too frequently (rate limited)',
  '-16': 'timestamp outside the allowed time range (clock skew)',
  '-18': 'port program exception (server-side fault at ITNIO)',
};

const HINTS: Record<string, string> = {
  '-1': 'check the API key and secret in the ITNIO console; the secret is case-sensitive',
  '-2': "add this host's public IP address to the account's IP allow list",
  '-13': 'the account is locked; contact ITNIO support',
  '-15': 'poll less often (--poll.interval) or fewer accounts at once (--poll.concurrency)',
  '-16': "synchronise this host's clock (NTP); the Timestamp must be Unix seconds within about 30 minutes of ITNIO's clock",
  '-18': 'a fault on the ITNIO side; it usually passes, contact ITNIO support if it persists',
};

export function statusMeaning(status: string): string {
  return MEANINGS[status] ?? 'undocumented status';
}

export function statusHint(status: string): string {
  return HINTS[status] ?? 'not documented by ITNIO; see the reason text and contact ITNIO support';
}
