import { AxiosError } from 'axios';
import type { FailureReason } from './failures';
import { proxyForDisplay } from './proxy';

/** Why a request that threw got no usable answer, in the failure vocabulary. */

export interface ClassifiedError {
  reason: FailureReason;
  /** Safe to log: an error's code and message only, never the request config it may carry. */
  detail: string;
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

// zlib's codes (Z_DATA_ERROR, Z_BUF_ERROR) and Brotli's (ERR__ERROR_FORMAT_PADDING_2).
const DECODER_CODE_RE = /^(?:Z_[A-Z_]+|ERR__ERROR_[A-Z0-9_]+)$/;
// Node's HTTP parser (llhttp) on a malformed answer: a bad chunk size, garbage after the body.
const PARSER_CODE_RE = /^HPE_/;

function errorCode(error: unknown): string | undefined {
  const own = (error as NodeJS.ErrnoException | undefined)?.code;
  if (own) return own;
  const cause = (error as { cause?: unknown } | undefined)?.cause;
  return cause && cause !== error ? errorCode(cause) : undefined;
}

function networkDetail(error: Error): string {
  const code = errorCode(error);
  return code ? `${code}: ${error.message}` : error.message;
}

/** The error, or one of its causes, came from the tunnel agent (src/itnio/proxy-agents.ts). */
function proxyErrorIn(error: unknown): Error | undefined {
  for (let e = error; e instanceof Error; e = e.cause) if (e.name === 'ProxyError') return e;
  return undefined;
}

function isChunked(error: AxiosError): boolean {
  const answer = (error.request as { res?: { headers?: Record<string, unknown> } } | undefined)?.res;
  return /chunked/i.test(String(answer?.headers?.['transfer-encoding'] ?? ''));
}

/** A body that came but cannot be read: invalid, not a network fault (with a DNS hint). */
function unreadableBody(error: AxiosError): string | undefined {
  const code = errorCode(error) ?? '';
  if (error.response && DECODER_CODE_RE.test(code)) {
    // axios drops the Content-Encoding header once it decodes, so the label itself is not known here.
    return `body cannot be decoded as its Content-Encoding says (${networkDetail(error)})`;
  }
  if (PARSER_CODE_RE.test(code)) return `malformed HTTP answer (${networkDetail(error)})`;
  // A chunked body that stops before its last chunk: the answer broke its own framing. (A body
  // cut short of its Content-Length stays a network fault, like the simulator's "reset".)
  if (error.code === AxiosError.ERR_BAD_RESPONSE && isChunked(error)) {
    return `chunked body cut off before its last chunk (${networkDetail(error)})`;
  }
  return undefined;
}

function viaProxy(proxyUrl: string, detail: string): ClassifiedError {
  // A library may quote the proxy URL it was given, credentials and all.
  const shown = proxyForDisplay(proxyUrl);
  return { reason: 'proxy', detail: `proxy ${shown}: ${detail.split(proxyUrl).join(shown)}` };
}

export function classifyRequestError(
  error: unknown,
  context: { proxyUrl: string | undefined; maxBytes: number },
): ClassifiedError {
  const { proxyUrl, maxBytes } = context;
  const fromProxy = proxyErrorIn(error);
  if (proxyUrl && fromProxy) return viaProxy(proxyUrl, fromProxy.message);
  if (!(error instanceof AxiosError)) {
    const detail = error instanceof Error ? networkDetail(error) : String(error);
    return proxyUrl ? viaProxy(proxyUrl, detail) : { reason: 'network', detail };
  }
  if (error.code === 'ECONNABORTED' || error.code === 'ETIMEDOUT') {
    return { reason: 'timeout', detail: networkDetail(error) };
  }
  if (error.code === AxiosError.ERR_BAD_RESPONSE && /maxContentLength/.test(error.message)) {
    return { reason: 'invalid_response', detail: `body larger than ${maxBytes} bytes` };
  }
  const unreadable = unreadableBody(error);
  if (unreadable) return { reason: 'invalid_response', detail: unreadable };
  if (proxyUrl && !error.response && CONNECT_ERROR_CODES.has(errorCode(error) ?? '')) {
    return viaProxy(proxyUrl, networkDetail(error));
  }
  return { reason: 'network', detail: networkDetail(error) };
}
