import type { ExporterConfig } from '../config/config';
import { createBalanceClient, type BalanceClient } from '../itnio/client';
import { EXPORTER_NAME, EXPORTER_VERSION } from './version';

/** The ITNIO client as the configuration asks for it, for the exporter and for --check alike. */
export function clientFor(
  config: Pick<ExporterConfig, 'apiTimeoutMs' | 'caFile' | 'apiProxyUrl'>,
  now?: () => number,
  env: NodeJS.ProcessEnv = process.env,
): BalanceClient {
  return createBalanceClient({
    // HTTPS_PROXY, HTTP_PROXY and NO_PROXY are read where the process starts, like other clients do.
    proxy: { env, ...(config.apiProxyUrl ? { proxyUrl: config.apiProxyUrl } : {}) },
    timeoutMs: config.apiTimeoutMs,
    userAgent: `${EXPORTER_NAME}/${EXPORTER_VERSION}`,
    ...(config.caFile ? { caFile: config.caFile } : {}),
    ...(now ? { now } : {}),
  });
}

/** A client whose trust can change while polls hold on to it: the exporter's, rebuilt when the CA file changes. */
export interface RenewableClient {
  client: BalanceClient;
  /** Builds the client again (reading --api.ca-file again); polls already sent finish on the old one. */
  renew(config: Pick<ExporterConfig, 'apiTimeoutMs' | 'caFile' | 'apiProxyUrl'>): void;
}

export function renewableClientFor(
  config: Pick<ExporterConfig, 'apiTimeoutMs' | 'caFile' | 'apiProxyUrl'>,
  now?: () => number,
): RenewableClient {
  let current = clientFor(config, now);
  return {
    client: { fetchBalance: (credentials, signal) => current.fetchBalance(credentials, signal) },
    renew: (next) => void (current = clientFor(next, now)),
  };
}
