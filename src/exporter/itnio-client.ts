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

type ClientSettings = ClientConfig & Pick<ExporterConfig, 'numbers'>;

/** The exporter's clients, whose trust can change while polls hold on to them: rebuilt when the CA file changes. */
export interface RenewableClients {
  balance: BalanceClient;
  /** Present when --collector.numbers is on. */
  numbers: NumbersClient | undefined;
  /** Builds both clients again (reading --api.ca-file again); polls already sent finish on the old ones. */
  renew(config: ClientSettings): void;
}

export function renewableClientsFor(config: ClientSettings, now?: () => number): RenewableClients {
  let balance = clientFor(config, now);
  let numbers = config.numbers.enabled ? numbersClientFor(config, now) : undefined;
  return {
    balance: { fetchBalance: (credentials, signal) => balance.fetchBalance(credentials, signal) },
    numbers: numbers && {
      fetchNumbers: (credentials, signal) => (numbers as NumbersClient).fetchNumbers(credentials, signal),
    },
    renew: (next) => {
      balance = clientFor(next, now);
      // The numbers settings need a restart (src/reload/config-reloader.ts): only the trust changes here.
      if (numbers) numbers = numbersClientFor({ ...next, numbers: config.numbers }, now);
    },
  };
}
