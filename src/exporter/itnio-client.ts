import type { ExporterConfig } from '../config/config';
import { createBalanceClient, type BalanceClient } from '../itnio/client';
import { EXPORTER_NAME, EXPORTER_VERSION } from './version';

/** The ITNIO client as the configuration asks for it, for the exporter and for --check alike. */
export function clientFor(
  config: Pick<ExporterConfig, 'apiTimeoutMs' | 'caFile' | 'apiProxyUrl' | 'proxyVariables'>,
  now?: () => number,
): BalanceClient {
  return createBalanceClient({
    // HTTPS_PROXY, HTTP_PROXY and NO_PROXY as read and checked at start-up (src/config/proxy-settings.ts).
    proxy: { env: { ...config.proxyVariables }, ...(config.apiProxyUrl ? { proxyUrl: config.apiProxyUrl } : {}) },
    timeoutMs: config.apiTimeoutMs,
    userAgent: `${EXPORTER_NAME}/${EXPORTER_VERSION}`,
    ...(config.caFile ? { caFile: config.caFile } : {}),
    ...(now ? { now } : {}),
  });
}

type ClientSettings = Parameters<typeof clientFor>[0];

/** A client whose trust can change while polls hold on to it: the exporter's, rebuilt when the CA file changes. */
export interface RenewableClient {
  client: BalanceClient;
  /** Builds the client again (reading --api.ca-file again); polls already sent finish on the old one. */
  renew(config: ClientSettings): void;
}

export function renewableClientFor(config: ClientSettings, now?: () => number): RenewableClient {
  let current = clientFor(config, now);
  return {
    client: { fetchBalance: (credentials, signal) => current.fetchBalance(credentials, signal) },
    renew: (next) => void (current = clientFor(next, now)),
  };
}
