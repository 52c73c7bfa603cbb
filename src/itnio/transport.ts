import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { rootCertificates } from 'node:tls';
import axios, { type AxiosInstance } from 'axios';
import type { FailureReason } from './failures';
import { proxyFor, type ProxySettings } from './proxy';
import { classifyRequestError } from './request-errors';
import { buildSignedHeaders, joinUrl } from './signing';

/**
 * Signed requests to any ITNIO endpoint: the signing headers, one axios instance with a time
 * limit, no redirects and a size limit, the direct and proxy agents, and the error vocabulary.
 * Each endpoint's client (getBalance here, others beside it) turns the answer into its outcome.
 */

/** What one signed request needs to know of an account. */
export interface ItnioCredentials {
  apiKey: string;
  apiSecret: string;
  /** The API base URL; the endpoint's path is appended. */
  baseUrl: string;
}

export interface TransportOptions {
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

interface SignedRequest {
  credentials: ItnioCredentials;
  /** The endpoint's path under the base URL, e.g. "getBalance". */
  path: string;
  method?: 'GET' | 'POST';
  /** Sent as JSON with POST. */
  body?: unknown;
}

/** The answer as it came (any HTTP status), or why none came. `detail` never holds a secret. */
export type TransportResult =
  | { kind: 'answer'; status: number; body: string; headers: Record<string, unknown>; proxyUrl?: string }
  | { kind: 'failure'; reason: FailureReason; detail: string }
  | { kind: 'aborted' };

export interface SignedTransport {
  send(request: SignedRequest, signal?: AbortSignal): Promise<TransportResult>;
}

const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024;
const MAX_SOCKETS = 64;

function createAxios(options: TransportOptions, maxBytes: number, ca: string[] | undefined): AxiosInstance {
  const lookup = options.lookup ? { lookup: options.lookup } : {};
  return axios.create({
    timeout: options.timeoutMs,
    // The signed headers are valid for the whole timestamp window: never replay them elsewhere.
    maxRedirects: 0,
    maxContentLength: maxBytes,
    maxBodyLength: maxBytes,
    responseType: 'text',
    transformResponse: [(data: unknown) => data],
    validateStatus: () => true,
    proxy: false,
    httpAgent: new http.Agent({ keepAlive: true, maxSockets: MAX_SOCKETS, ...lookup }),
    httpsAgent: new https.Agent({
      keepAlive: true,
      maxSockets: MAX_SOCKETS,
      ...lookup,
      rejectUnauthorized: true,
      ...(ca ? { ca } : {}),
    }),
  });
}

/**
 * One agent per proxy and scheme, kept like the direct ones so connections are reused. The agent
 * libraries load on first use: without a proxy they would only cost start-up memory.
 */
function proxyAgentCache(ca: string[] | undefined, timeoutMs: number) {
  // Promises, so that concurrent first requests share one agent (and one socket pool).
  const agents = new Map<string, Promise<http.Agent>>();
  return (proxyUrl: string, secure: boolean): Promise<http.Agent> => {
    const key = `${secure ? 'https' : 'http'} ${proxyUrl}`;
    let agent = agents.get(key);
    if (!agent) {
      agent = import('./proxy-agents').then((m) => m.createProxyAgent(proxyUrl, secure, ca, timeoutMs));
      agents.set(key, agent);
    }
    return agent;
  };
}

/**
 * An AbortController that fires after `timeoutMs` or when `shutdown` aborts. axios' own timeout
 * is an idle-socket timeout; this also bounds a slow drip of bytes. Linked by hand, not with
 * AbortSignal.any(): on Node 20 that leaves a reference per call on the long-lived shutdown
 * signal (nodejs/node#55351), which bench/soak.ts measures.
 */
function deadline(timeoutMs: number, shutdown: AbortSignal | undefined) {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  const onShutdown = (): void => controller.abort();
  if (shutdown?.aborted) controller.abort();
  else shutdown?.addEventListener('abort', onShutdown, { once: true });
  return {
    signal: controller.signal,
    timedOut: () => timedOut,
    release: (): void => {
      clearTimeout(timer);
      shutdown?.removeEventListener('abort', onShutdown);
    },
  };
}

export function createSignedTransport(options: TransportOptions): SignedTransport {
  const now = options.now ?? Date.now;
  const maxBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  // An extra CA adds to the system roots rather than replacing them.
  const ca = options.caFile ? [...rootCertificates, readFileSync(options.caFile, 'utf8')] : undefined;
  const instance = createAxios(options, maxBytes, ca);
  const proxyAgent = proxyAgentCache(ca, options.timeoutMs);

  async function send(request: SignedRequest, shutdown?: AbortSignal): Promise<TransportResult> {
    const { credentials } = request;
    const url = joinUrl(credentials.baseUrl, request.path);
    const proxyUrl = options.proxy ? proxyFor(new URL(url), options.proxy) : undefined;
    const secure = url.startsWith('https:');
    const limit = deadline(options.timeoutMs, shutdown);
    try {
      const via = proxyUrl ? { [secure ? 'httpsAgent' : 'httpAgent']: await proxyAgent(proxyUrl, secure) } : {};
      const response = await instance.request<string>({
        url,
        method: request.method ?? 'GET',
        ...(request.body !== undefined ? { data: JSON.stringify(request.body) } : {}),
        ...via,
        headers: {
          ...buildSignedHeaders(credentials.apiKey, credentials.apiSecret, now()),
          Accept: 'application/json',
          ...(options.userAgent ? { 'User-Agent': options.userAgent } : {}),
        },
        signal: limit.signal,
      });
      const body = typeof response.data === 'string' ? response.data : '';
      const headers = response.headers as Record<string, unknown>;
      return { kind: 'answer', status: response.status, body, headers, ...(proxyUrl ? { proxyUrl } : {}) };
    } catch (error) {
      if (shutdown?.aborted && !limit.timedOut()) return { kind: 'aborted' };
      if (limit.timedOut()) {
        return { kind: 'failure', reason: 'timeout', detail: `no complete answer within ${options.timeoutMs} ms` };
      }
      return { kind: 'failure', ...classifyRequestError(error, { proxyUrl, maxBytes }) };
    } finally {
      limit.release();
    }
  }

  return { send };
}
