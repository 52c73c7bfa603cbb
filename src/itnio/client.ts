import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { rootCertificates } from 'node:tls';
import axios, { AxiosError, type AxiosInstance } from 'axios';
import type { FailureReason } from './failures';
import { proxyFor, proxyForDisplay, type ProxySettings } from './proxy';
import { parseBalanceResponse, type BalanceValues } from './response';
import { buildSignedHeaders, joinUrl } from './signing';

/** What one getBalance request ended as. `detail` is safe to log: it never holds a secret. */
export type BalanceOutcome =
  | ({ kind: 'success' } & BalanceValues)
  | { kind: 'api_error'; status: string; reason: string; serverDate?: Date }
  | { kind: 'failure'; reason: FailureReason; detail: string }
  | { kind: 'aborted' };

/** What one getBalance request needs to know of an account. */
export interface ItnioCredentials {
  apiKey: string;
  apiSecret: string;
  /** The API base URL; /getBalance is appended. */
  baseUrl: string;
}

export interface BalanceClient {
  fetchBalance(credentials: ItnioCredentials, signal?: AbortSignal): Promise<BalanceOutcome>;
}

export interface BalanceClientOptions {
  timeoutMs: number;
  /** PEM bundle trusted in addition to the system CAs. */
  caFile?: string;
  /** Upper bound for a response body; a balance answer is ~100 bytes. */
  maxResponseBytes?: number;
  /** Sent as User-Agent, so ITNIO support can tell the exporter's requests apart. */
  userAgent?: string;
  now?: () => number;
  /** Host name resolver for the API's sockets; defaults to the system's (dns.lookup). */
  lookup?: LookupFunction;
  /** The egress proxy: HTTPS_PROXY, HTTP_PROXY and NO_PROXY, or --api.proxy-url. Direct without it. */
  proxy?: ProxySettings;
}

/** Errors of a connection that never got to exchange a byte: through a proxy, the proxy's fault. */
const CONNECT_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
]);

const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024;

function networkDetail(error: AxiosError): string {
  // AxiosError carries the request config, headers included: only its code and message leave here.
  const code = error.code ?? (error.cause as NodeJS.ErrnoException | undefined)?.code;
  return code ? `${code}: ${error.message}` : error.message;
}

// zlib's codes (Z_DATA_ERROR, Z_BUF_ERROR) and Brotli's (ERR__ERROR_FORMAT_PADDING_2).
const DECODER_CODE_RE = /^(?:Z_[A-Z_]+|ERR__ERROR_[A-Z0-9_]+)$/;

/**
 * The detail when the answer came but its body could not be decoded as its Content-Encoding
 * said (a plain body labelled gzip): an invalid response, not a network fault. axios drops the
 * header once it decodes, so the label itself is not known here.
 */
function undecodableBody(error: AxiosError): string | undefined {
  if (!error.response || !DECODER_CODE_RE.test(error.code ?? '')) return undefined;
  return `body cannot be decoded as its Content-Encoding says (${networkDetail(error)})`;
}

function parseDateHeader(value: unknown): Date | undefined {
  if (typeof value !== 'string') return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

export function createBalanceClient(options: BalanceClientOptions): BalanceClient {
  const now = options.now ?? Date.now;
  const maxBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  // An extra CA adds to the system roots rather than replacing them.
  const ca = options.caFile ? [...rootCertificates, readFileSync(options.caFile, 'utf8')] : undefined;
  const instance: AxiosInstance = axios.create({
    timeout: options.timeoutMs,
    // The signed headers are valid for the whole timestamp window: never replay them elsewhere.
    maxRedirects: 0,
    maxContentLength: maxBytes,
    maxBodyLength: maxBytes,
    responseType: 'text',
    transformResponse: [(data: unknown) => data],
    validateStatus: () => true,
    proxy: false,
    httpAgent: new http.Agent({
      keepAlive: true,
      maxSockets: 64,
      ...(options.lookup ? { lookup: options.lookup } : {}),
    }),
    httpsAgent: new https.Agent({
      keepAlive: true,
      maxSockets: 64,
      ...(options.lookup ? { lookup: options.lookup } : {}),
      rejectUnauthorized: true,
      ...(ca ? { ca } : {}),
    }),
  });

  // One agent per proxy and scheme, kept like the direct ones so connections are reused. The
  // agent libraries load on first use: without a proxy they would only cost start-up memory.
  const proxyAgents = new Map<string, http.Agent>();
  const proxyAgent = async (proxyUrl: string, secure: boolean): Promise<http.Agent> => {
    const key = `${secure ? 'https' : 'http'} ${proxyUrl}`;
    let agent = proxyAgents.get(key);
    if (!agent) {
      const { createProxyAgent } = await import('./proxy-agents');
      agent = createProxyAgent(proxyUrl, secure, ca);
      proxyAgents.set(key, agent);
    }
    return agent;
  };

  async function fetchBalance(account: ItnioCredentials, signal?: AbortSignal): Promise<BalanceOutcome> {
    // axios' own timeout is an idle-socket timeout; this abort also bounds a slow drip of bytes.
    // `signal` is the poller's for this one poll: aborted on stop, or when a reload removes the account.
    let timedOut = false;
    const request = new AbortController();
    const timer = setTimeout(() => {
      timedOut = true;
      request.abort();
    }, options.timeoutMs);
    const onShutdown = (): void => request.abort();
    if (signal?.aborted) request.abort();
    else signal?.addEventListener('abort', onShutdown, { once: true });
    const url = joinUrl(account.baseUrl, 'getBalance');
    const proxyUrl = options.proxy ? proxyFor(new URL(url), options.proxy) : undefined;
    const secure = url.startsWith('https:');
    try {
      const via = proxyUrl ? { [secure ? 'httpsAgent' : 'httpAgent']: await proxyAgent(proxyUrl, secure) } : {};
      const response = await instance.get<string>(url, {
        ...via,
        headers: {
          ...buildSignedHeaders(account.apiKey, account.apiSecret, now()),
          Accept: 'application/json',
          ...(options.userAgent ? { 'User-Agent': options.userAgent } : {}),
        },
        signal: request.signal,
      });
      // ITNIO answers its own errors with HTTP 200 and a status in the body; 407 (and tinyproxy's
      // 401) through a proxy are the proxy refusing its credentials.
      if (proxyUrl && (response.status === 407 || response.status === 401)) {
        return {
          kind: 'failure',
          reason: 'proxy',
          detail: `proxy ${proxyForDisplay(proxyUrl)} answered HTTP ${response.status} (proxy authentication failed)`,
        };
      }
      if (response.status !== 200) {
        return { kind: 'failure', reason: 'http_status', detail: `HTTP ${response.status}` };
      }
      const parsed = parseBalanceResponse(typeof response.data === 'string' ? response.data : '');
      switch (parsed.kind) {
        case 'success':
          return { kind: 'success', balance: parsed.balance, gift: parsed.gift, credit: parsed.credit };
        case 'api_error': {
          const serverDate = parseDateHeader(response.headers.date);
          return {
            kind: 'api_error',
            status: parsed.status,
            reason: parsed.reason,
            ...(serverDate ? { serverDate } : {}),
          };
        }
        default:
          // 'invalid' (a default rather than a case, or tsc misses that the switch is exhaustive inside try/finally)
          return { kind: 'failure', reason: 'invalid_response', detail: parsed.problem };
      }
    } catch (error) {
      if (signal?.aborted && !timedOut) return { kind: 'aborted' };
      if (timedOut) {
        return { kind: 'failure', reason: 'timeout', detail: `no complete answer within ${options.timeoutMs} ms` };
      }
      if (error instanceof AxiosError) {
        if (error.code === 'ECONNABORTED' || error.code === 'ETIMEDOUT') {
          return { kind: 'failure', reason: 'timeout', detail: networkDetail(error) };
        }
        if (error.code === AxiosError.ERR_BAD_RESPONSE && /maxContentLength/.test(error.message)) {
          return { kind: 'failure', reason: 'invalid_response', detail: `body larger than ${maxBytes} bytes` };
        }
        const undecodable = undecodableBody(error);
        if (undecodable) return { kind: 'failure', reason: 'invalid_response', detail: undecodable };
        const code = error.code ?? (error.cause as NodeJS.ErrnoException | undefined)?.code ?? '';
        if (proxyUrl && !error.response && CONNECT_ERROR_CODES.has(code)) {
          return {
            kind: 'failure',
            reason: 'proxy',
            detail: `proxy ${proxyForDisplay(proxyUrl)}: ${networkDetail(error)}`,
          };
        }
        return { kind: 'failure', reason: 'network', detail: networkDetail(error) };
      }
      const detail = error instanceof Error ? error.message : String(error);
      // The proxy agents' own errors (a refused CONNECT, a proxy that hangs up) are not AxiosErrors.
      if (proxyUrl)
        return {
          kind: 'failure',
          reason: 'proxy',
          detail: `proxy ${proxyForDisplay(proxyUrl)}: ${detail.split(proxyUrl).join(proxyForDisplay(proxyUrl))}`,
        };
      return { kind: 'failure', reason: 'network', detail };
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onShutdown);
    }
  }

  return { fetchBalance };
}
