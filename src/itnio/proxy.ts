/** Which egress proxy a request to the API goes through: the standard variables, or an explicit URL. */

export interface ProxySettings {
  /** --api.proxy-url: used for every base URL (NO_PROXY still applies); overrides HTTPS_PROXY and HTTP_PROXY. */
  proxyUrl?: string;
  /** The environment: HTTPS_PROXY, HTTP_PROXY, NO_PROXY, each also in lower case (which wins, as curl does). */
  env?: Readonly<Record<string, string | undefined>>;
}

/** Lower case first; an empty or blank variable counts as unset, as in Go and the npm ecosystem. */
const variable = (env: ProxySettings['env'], name: string): string | undefined =>
  env?.[name.toLowerCase()]?.trim() || env?.[name]?.trim() || undefined;

// curl and Go read "host:port" and "user:password@host:port" as http:// (src/config/proxy-settings.ts checks them).
const withScheme = (url: string | undefined): string | undefined =>
  url === undefined || /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(url) ? url : `http://${url}`;

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
  if (settings.proxyUrl) return withScheme(settings.proxyUrl);
  return withScheme(variable(settings.env, target.protocol === 'https:' ? 'HTTPS_PROXY' : 'HTTP_PROXY'));
}

/** A proxy URL as it may be shown: without user name or password. */
export function proxyForDisplay(proxyUrl: string): string {
  try {
    const url = new URL(proxyUrl);
    // Anything but http(s) has no host to show, and may read a password as its path.
    if ((url.protocol === 'http:' || url.protocol === 'https:') && url.host) return `${url.protocol}//${url.host}`;
  } catch {
    // Shown as below: a URL that does not parse may still hold a password.
  }
  return 'an unparsable proxy URL';
}
