import type { ExporterConfig } from '../config/config';
import { createBalanceClient, type BalanceClient } from '../itnio/client';
import { EXPORTER_NAME, EXPORTER_VERSION } from './version';

/** The ITNIO client as the configuration asks for it, for the exporter and for --check alike. */
export function clientFor(config: Pick<ExporterConfig, 'apiTimeoutMs' | 'caFile'>, now?: () => number): BalanceClient {
  return createBalanceClient({
    timeoutMs: config.apiTimeoutMs,
    userAgent: `${EXPORTER_NAME}/${EXPORTER_VERSION}`,
    ...(config.caFile ? { caFile: config.caFile } : {}),
    ...(now ? { now } : {}),
  });
}
