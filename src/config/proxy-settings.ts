import { withoutCredentials } from './http-url';
import type { Problems } from './problems';
import type { Setting } from './sources';

/**
 * The egress proxy settings: --api.proxy-url, or HTTPS_PROXY/HTTP_PROXY (each also in lower case)
 * and NO_PROXY. Read as curl and Go read them, checked at start-up, handed on with a scheme.
 */

export const PROXY_URL_FORM =
  'an http(s) URL of a forward proxy, or host:port (read as http://), e.g. http://user:password@proxy.example:3128';

/** The variables the client reads, cleaned: upper-case names, values with a scheme. */
export interface ProxyVariables {
  HTTPS_PROXY?: string;
  HTTP_PROXY?: string;
  NO_PROXY?: string;
}

const SCHEME_RE = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;

/** Why `text` cannot be a proxy URL, or the URL with a scheme. Never quotes `text`. */
function normaliseProxyUrl(text: string): { url: string } | { why: string } {
  const trimmed = text.trim();
  // curl and Go read "host:port" and "user:password@host:port" as http://.
  const withScheme = SCHEME_RE.test(trimmed) ? trimmed : `http://${trimmed}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    return { why: 'it is not a URL (is the port a number from 1 to 65535?)' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { why: `${url.protocol.slice(0, -1)}:// proxies are not supported, only http:// and https://` };
  }
  if (!url.hostname) return { why: 'it has no host' };
  if (url.port === '0') return { why: 'port 0 is not a port to connect to' };
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash) {
    return { why: 'a proxy URL has no path, query or fragment' };
  }
  return { url: withScheme };
}

/** A proxy URL setting, with a scheme; a problem naming `where` (never the password) when refused. */
function checkedProxyUrl(value: string, where: string, expected: string, problems: Problems): string | undefined {
  const result = normaliseProxyUrl(value);
  if ('url' in result) return result.url;
  problems.invalid(where, withoutCredentials(value.trim()), expected, result.why);
  return undefined;
}

/** --api.proxy-url: credentials are allowed, never echoed; on the command line they are worth a warning. */
export function parseProxyUrl(
  setting: Setting | undefined,
  problems: Problems,
  warnings: string[],
): string | undefined {
  if (!setting) return undefined;
  const url = checkedProxyUrl(setting.value, setting.source, setting.expected, problems);
  if (url && setting.source.startsWith('--') && new URL(url).password) {
    warnings.push(
      `${setting.source}: the proxy password is on the command line, where ps shows it to every user of this ` +
        'host; give it in ITNIO_API_PROXY_URL or HTTPS_PROXY instead',
    );
  }
  return url;
}

/** Lower case first, as curl does; an empty or blank lower-case variable counts as unset (as in Go and npm). */
function variable(env: Readonly<Record<string, string | undefined>>, name: string): Setting | undefined {
  for (const spelling of [name.toLowerCase(), name]) {
    const value = env[spelling]?.trim();
    if (value) return { value, source: spelling, expected: PROXY_URL_FORM };
  }
  return undefined;
}

/**
 * HTTPS_PROXY and HTTP_PROXY as the client will use them: checked only when some base URL needs
 * them and --api.proxy-url does not replace them, so a host-wide variable the exporter never
 * uses cannot stop it.
 */
export function parseProxyVariables(
  env: Readonly<Record<string, string | undefined>>,
  uses: { https: boolean; http: boolean; proxyUrlGiven: boolean },
  problems: Problems,
): ProxyVariables {
  const variables: ProxyVariables = {};
  const noProxy = variable(env, 'NO_PROXY');
  if (noProxy) variables.NO_PROXY = noProxy.value;
  if (uses.proxyUrlGiven) return variables;
  for (const [name, used] of [
    ['HTTPS_PROXY', uses.https],
    ['HTTP_PROXY', uses.http],
  ] as const) {
    const setting = variable(env, name);
    if (!setting || !used) continue;
    const url = checkedProxyUrl(setting.value, setting.source, setting.expected, problems);
    if (url) variables[name] = url;
  }
  return variables;
}

/** The proxy a base URL's requests go through, as logs may show it: without credentials. */
export function proxyInUse(proxyUrl: string | undefined, variables: ProxyVariables): string {
  const shown = (url: string): string => {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}`;
  };
  const parts: string[] = [];
  if (proxyUrl) parts.push(`${shown(proxyUrl)} (--api.proxy-url)`);
  if (variables.HTTPS_PROXY) parts.push(`${shown(variables.HTTPS_PROXY)} for https (HTTPS_PROXY)`);
  if (variables.HTTP_PROXY) parts.push(`${shown(variables.HTTP_PROXY)} for http (HTTP_PROXY)`);
  if (parts.length === 0) return 'none';
  return variables.NO_PROXY ? `${parts.join(', ')}; not for NO_PROXY hosts` : parts.join(', ');
}
