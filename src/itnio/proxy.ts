import { withoutCredentials } from '../input/url-credentials';

/** Which egress proxy a request to the API goes through: the standard variables, or an explicit URL. */

export interface ProxySettings {
  /** --api.proxy-url: used for every base URL (NO_PROXY still applies); overrides HTTPS_PROXY and HTTP_PROXY. */
  proxyUrl?: string;
  /** The environment: HTTPS_PROXY, HTTP_PROXY, NO_PROXY, each also in lower case (which wins, as curl does). */
  env?: Readonly<Record<string, string | undefined>>;
}

const variable = (env: ProxySettings['env'], name: string): string | undefined => {
  const value = env?.[name.toLowerCase()] ?? env?.[name];
  return value?.trim() ? value.trim() : undefined;
};

const DEFAULT_PORTS: Record<string, string> = { 'http:': '80', 'https:': '443' };

/** Whether NO_PROXY (host names, `.domain` or `*.domain` suffixes, optional `:port`, or `*`) exempts `target`. */
export function bypassesProxy(target: URL, noProxy: string | undefined): boolean {
  if (!noProxy) return false;
  const host = target.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port = target.port || DEFAULT_PORTS[target.protocol] || '';
  for (const raw of noProxy.split(/[\s,]+/)) {
    const entry = raw.trim().toLowerCase();
    if (!entry) continue;
    if (entry === '*') return true;
    // "[::1]:8080", "::1" (a bare IPv6 address has no port), "host" or "host:port".
    const bracketed = /^\[(.+)\](?::(\d+))?$/.exec(entry);
    const match =
      bracketed ?? (entry.split(':').length > 2 ? [entry, entry, undefined] : /^(.+?)(?::(\d+))?$/.exec(entry));
    if (!match) continue;
    const [, name, entryPort] = match as unknown as [string, string, string | undefined];
    if (entryPort && entryPort !== port) continue;
    const suffix = name.replace(/^\*?\./, '');
    if (host === suffix || host.endsWith(`.${suffix}`)) return true;
  }
  return false;
}

/** The proxy URL for a request to `target`, or undefined for a direct connection. */
export function proxyFor(target: URL, settings: ProxySettings): string | undefined {
  if (bypassesProxy(target, variable(settings.env, 'NO_PROXY'))) return undefined;
  if (settings.proxyUrl) return settings.proxyUrl;
  return target.protocol === 'https:' ? variable(settings.env, 'HTTPS_PROXY') : variable(settings.env, 'HTTP_PROXY');
}

/** A proxy URL as it may be shown: without user name or password. */
export function proxyForDisplay(proxyUrl: string): string {
  try {
    const url = new URL(proxyUrl);
    return url.origin === 'null' ? withoutCredentials(url.href) : `${url.protocol}//${url.host}`;
  } catch {
    return 'an unparsable proxy URL';
  }
}
