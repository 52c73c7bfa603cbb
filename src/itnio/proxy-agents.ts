import type http from 'node:http';
import net from 'node:net';
import tls, { checkServerIdentity, type PeerCertificate } from 'node:tls';
import { HttpProxyAgent } from 'http-proxy-agent';
import { HttpsProxyAgent } from 'https-proxy-agent';

/** Anything that went wrong between the exporter and the proxy itself: counted as `proxy`. */
class ProxyError extends Error {
  override readonly name = 'ProxyError';
}

/** A CONNECT answer head is a few hundred bytes; more is not a proxy speaking HTTP. */
const MAX_CONNECT_HEAD_BYTES = 16 * 1024;

/** The proxy's answer to CONNECT up to its blank line, or a ProxyError when it hangs up or errs first. */
function readConnectAnswer(socket: net.Socket): Promise<{ status: number; rest: Buffer }> {
  return new Promise((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    const finish = (error?: Error): void => {
      socket.off('data', onData).off('end', onEnd).off('close', onEnd).off('error', finish);
      if (error) reject(error);
    };
    const onEnd = (): void => finish(new ProxyError('the proxy closed the connection before answering CONNECT'));
    const onData = (chunk: Buffer): void => {
      buffered = Buffer.concat([buffered, chunk]);
      const end = buffered.indexOf('\r\n\r\n');
      if (end < 0 && buffered.length <= MAX_CONNECT_HEAD_BYTES) return;
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(buffered.toString('latin1', 0, Math.max(end, 0)));
      if (end < 0 || !status) return finish(new ProxyError('the proxy answered CONNECT with something not HTTP'));
      finish();
      socket.pause();
      resolve({ status: Number(status[1]), rest: buffered.subarray(end + 4) });
    };
    socket.on('data', onData).once('end', onEnd).once('close', onEnd).once('error', finish);
  });
}

/**
 * Calls `listener` when the request is destroyed (a timeout or shutdown abort), or at once if it
 * already is. Before it has a socket, ClientRequest.destroy() emits no event at all.
 */
function onDestroy(req: http.ClientRequest, listener: () => void): () => void {
  if (req.destroyed) {
    listener();
    return () => undefined;
  }
  const destroy = req.destroy;
  req.destroy = function (this: http.ClientRequest, error?: Error) {
    listener();
    return destroy.call(this, error);
  };
  return () => {
    req.destroy = destroy;
  };
}

type ConnectOptions = Parameters<HttpsProxyAgent<string>['connect']>[1];

/** Until the tunnel stands, every failure (refused, reset, the proxy's own TLS) is the proxy's. */
function asProxyError(error: unknown): ProxyError {
  if (error instanceof ProxyError) return error;
  const code = (error as NodeJS.ErrnoException).code;
  const message = error instanceof Error ? error.message : String(error);
  return new ProxyError(code ? `${code}: ${message}` : message, { cause: error });
}

const STATUS_WORDS: Record<number, string> = { 401: 'proxy authentication failed', 407: 'proxy authentication failed' };

/**
 * CONNECT tunnels bounded in time, their TLS to the API verified like a direct connection's.
 * https-proxy-agent's own connect() waits for the proxy's answer with no limit, and an aborted
 * request does not close that socket (nor free its slot among the agent's 64): a hung proxy
 * would stop polling for good. Here the CONNECT ends, and its socket is destroyed, when the
 * request closes (a timeout or shutdown abort) or after `timeoutMs`, whichever comes first.
 */
class TunnelAgent extends HttpsProxyAgent<string> {
  constructor(
    proxyUrl: string,
    private readonly ca: string[] | undefined,
    private readonly timeoutMs: number,
  ) {
    super(proxyUrl, { keepAlive: true, maxSockets: 64 });
  }

  override async connect(req: http.ClientRequest, opts: ConnectOptions): Promise<net.Socket> {
    const socket = this.openToProxy();
    const abandon = (why: string): void => void socket.destroy(new ProxyError(why));
    const timer = setTimeout(() => abandon(`no answer to CONNECT within ${this.timeoutMs} ms`), this.timeoutMs);
    const stopWatching = onDestroy(req, () => abandon('the request ended before the proxy answered CONNECT'));
    try {
      const host = net.isIPv6(opts.host ?? '') ? `[${opts.host}]` : (opts.host ?? '');
      socket.write(this.connectRequest(`${host}:${opts.port}`));
      const answer = await readConnectAnswer(socket);
      if (answer.status !== 200) {
        socket.destroy();
        const words = STATUS_WORDS[answer.status];
        throw new ProxyError(`the proxy answered CONNECT with HTTP ${answer.status}${words ? ` (${words})` : ''}`);
      }
      if (answer.rest.length > 0) socket.unshift(answer.rest);
      return this.tlsToApi(socket, opts);
    } catch (error) {
      socket.destroy();
      throw asProxyError(error);
    } finally {
      clearTimeout(timer);
      stopWatching();
    }
  }

  private openToProxy(): net.Socket {
    if (this.proxy.protocol !== 'https:') return net.connect(this.connectOpts);
    // The proxy's own certificate is checked against the system roots and --api.ca-file.
    const servername = net.isIP(this.connectOpts.host ?? '') ? undefined : this.connectOpts.host;
    return tls.connect({ ...this.connectOpts, ...(this.ca ? { ca: this.ca } : {}), servername });
  }

  private connectRequest(target: string): string {
    const headers: Record<string, string> = { Host: target, 'Proxy-Connection': 'Keep-Alive' };
    if (this.proxy.username || this.proxy.password) {
      const auth = `${decodeURIComponent(this.proxy.username)}:${decodeURIComponent(this.proxy.password)}`;
      headers['Proxy-Authorization'] = `Basic ${Buffer.from(auth).toString('base64')}`;
    }
    const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
    return `CONNECT ${target} HTTP/1.1\r\n${lines.join('')}\r\n`;
  }

  /** The API's certificate is checked against the API host itself, even when it is an IP address. */
  private tlsToApi(socket: net.Socket, opts: ConnectOptions): tls.TLSSocket {
    const host = opts.host ?? '';
    return tls.connect({
      socket,
      ...(net.isIP(host) ? {} : { servername: host }),
      rejectUnauthorized: true,
      ...(this.ca ? { ca: this.ca } : {}),
      checkServerIdentity: (_: string, cert: PeerCertificate) => checkServerIdentity(host, cert),
    });
  }
}

/**
 * The agent for requests through an egress proxy: HTTPS goes through a CONNECT tunnel (above);
 * plain HTTP is sent to the proxy as absolute-form requests, on a socket the request owns, so
 * an abort closes it. An https:// proxy's own certificate is checked against `ca` as well. Loaded only when a proxy is in use (src/itnio/client.ts).
 */
export function createProxyAgent(
  proxyUrl: string,
  secure: boolean,
  ca: string[] | undefined,
  timeoutMs: number,
): http.Agent {
  return secure
    ? new TunnelAgent(proxyUrl, ca, timeoutMs)
    : new HttpProxyAgent(proxyUrl, { keepAlive: true, maxSockets: 64, ...(ca ? { ca } : {}) });
}
