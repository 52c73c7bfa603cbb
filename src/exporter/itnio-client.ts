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
