/** Where the exporter listens; its own module so the health probe can read it cheaply. */
export interface ListenAddress {
  /** Empty means every interface. */
  host: string;
  port: number;
}

/** `host:port`, `:port` (every interface) or `[ipv6]:port`; undefined when malformed. */
export function parseListenAddress(text: string): ListenAddress | undefined {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]*)):(\d{1,5})$/.exec(text.trim());
  if (!match) return undefined;
  const port = Number(match[3]);
  if (port > 65535) return undefined;
  return { host: match[1] ?? match[2] ?? '', port };
}
