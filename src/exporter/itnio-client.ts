import type { ExporterConfig } from '../config/config';
import { createBalanceClient, type BalanceClient, type BalanceClientOptions } from '../itnio/client';
import { createNumbersClient, type NumbersClient } from '../itnio/numbers-client';
import { EXPORTER_NAME, EXPORTER_VERSION } from './version';

type ClientConfig = Pick<ExporterConfig, 'apiTimeoutMs' | 'caFile' | 'apiProxyUrl' | 'proxyVariables'>;

/** The ITNIO client as the configuration asks for it, for the exporter and for --check alike. */
export function clientFor(config: ClientConfig, now?: () => number): BalanceClient {
  return createBalanceClient(clientOptions(config, now));
}

function clientOptions(config: ClientConfig, now: (() => number) | undefined): BalanceClientOptions {
  return {
    // HTTPS_PROXY, HTTP_PROXY and NO_PROXY as read and checked at start-up (src/config/proxy-settings.ts).
    proxy: { env: { ...config.proxyVariables }, ...(config.apiProxyUrl ? { proxyUrl: config.apiProxyUrl } : {}) },
    timeoutMs: config.apiTimeoutMs,
    userAgent: `${EXPORTER_NAME}/${EXPORTER_VERSION}`,
    ...(config.caFile ? { caFile: config.caFile } : {}),
    ...(now ? { now } : {}),
  };
}

/** The number/queryPage client, with the same timeouts, TLS, proxy and redirect rules as getBalance's. */
export function numbersClientFor(
  config: ClientConfig & Pick<ExporterConfig, 'numbers'>,
  now?: () => number,
): NumbersClient {
  return createNumbersClient({
    ...clientOptions(config, now),
    dueDateUtcOffsetMinutes: config.numbers.dueDateUtcOffsetMinutes,
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
