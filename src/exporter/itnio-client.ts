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
