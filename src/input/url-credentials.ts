// A scheme followed by slashes (in the spellings the URL parser accepts, "https:\\" too), or
// http(s) without them. Any other "word:" before an "@" may be a user name.
const SCHEME_RE = /^(?:[A-Za-z][A-Za-z0-9+.-]*:[/\\]+|https?:)/i;

/**
 * A URL as it may be quoted back in a problem or a log line, parsable or not. Everything between
 * the scheme and the last "@" is masked: where a user name or password ends cannot be told once
 * it holds "@", "/" or a space. A query or fragment after that is cut to "?…" or "#…", as it may
 * hold a token.
 */
export function withoutCredentials(text: string): string {
  const at = text.lastIndexOf('@');
  const masked = at < 0 ? text : `${SCHEME_RE.exec(text)?.[0] ?? ''}***@${text.slice(at + 1)}`;
  return masked.replace(/([?#]).*$/s, '$1…');
}
