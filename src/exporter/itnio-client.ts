import type { ExporterConfig } from '../config/config';
import { createBalanceClient, type BalanceClient, type BalanceClientOptions } from '../itnio/client';
import { createNumbersClient, type NumbersClient } from '../itnio/numbers-client';
import { EXPORTER_NAME, EXPORTER_VERSION } from './version';

/** The ITNIO client as the configuration asks for it, for the exporter and for --check alike. */
export function clientFor(
  config: Pick<ExporterConfig, 'apiTimeoutMs' | 'caFile' | 'apiProxyUrl'>,
  now?: () => number,
  env: NodeJS.ProcessEnv = process.env,
): BalanceClient {
  return createBalanceClient(clientOptions(config, now, env));
}

function clientOptions(
  config: Pick<ExporterConfig, 'apiTimeoutMs' | 'caFile' | 'apiProxyUrl'>,
  now: (() => number) | undefined,
  env: NodeJS.ProcessEnv,
): BalanceClientOptions {
  return {
    // HTTPS_PROXY, HTTP_PROXY and NO_PROXY are read where the process starts, like other clients do.
    proxy: { env, ...(config.apiProxyUrl ? { proxyUrl: config.apiProxyUrl } : {}) },
    timeoutMs: config.apiTimeoutMs,
    userAgent: `${EXPORTER_NAME}/${EXPORTER_VERSION}`,
    ...(config.caFile ? { caFile: config.caFile } : {}),
    ...(now ? { now } : {}),
  };
}

/** The number/queryPage client, with the same timeouts, TLS, proxy and redirect rules as getBalance's. */
export function numbersClientFor(
  config: Pick<ExporterConfig, 'apiTimeoutMs' | 'caFile' | 'apiProxyUrl' | 'numbers'>,
  now?: () => number,
  env: NodeJS.ProcessEnv = process.env,
): NumbersClient {
  return createNumbersClient({
    ...clientOptions(config, now, env),
    dueDateUtcOffsetMinutes: config.numbers.dueDateUtcOffsetMinutes,
  });
}
