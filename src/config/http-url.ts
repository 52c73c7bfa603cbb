/** The API base URLs: the --api.base-url default and each account's base_url. */

// How a refused URL is quoted back in a problem (defined once, for the ITNIO client's proxy URLs too).
export { withoutCredentials } from '../input/url-credentials';

/** What a base URL must look like, for --help and problems. */
export const BASE_URL_FORM = 'an http(s) URL without credentials, query or fragment';

interface Inspected {
  url?: URL;
  /** Why it cannot be a base URL, when there is more to say than "not an http(s) URL". */
  why?: string;
}

function inspect(text: string): Inspected {
  // Any "@" counts as credentials: a password holding "/", "?" or "#" ends the authority early,
  // so the URL parser sees no user name and would take the rest of the password for the host.
  const credentials = { why: 'it holds a user name or password' };
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return text.includes('@') ? credentials : {};
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return {};
  if (url.username || url.password || text.includes('@')) return credentials;
  // "…/sms?lang=en" would request "/sms?lang=en/getBalance", and "…/sms#x" just "/sms".
  const rest = ', which /getBalance cannot follow';
  if (text.includes('?')) return { why: `it has a query ("?…")${rest}` };
  if (text.includes('#')) return { why: `it has a fragment ("#…")${rest}` };
  return { url };
}

/** An http(s) URL usable as a base URL, or undefined. */
export function parseHttpUrl(text: string): URL | undefined {
  return inspect(text).url;
}

/** For a refused base URL, what is wrong with it beyond not being an http(s) URL, if anything. */
export function baseUrlProblem(text: string): string | undefined {
  return inspect(text).why;
}

export function isPlainHttpToRemote(baseUrl: string): boolean {
  const url = new URL(baseUrl);
  return url.protocol === 'http:' && !['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
}
