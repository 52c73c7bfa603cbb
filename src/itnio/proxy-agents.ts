import type http from 'node:http';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import { HttpProxyAgent } from 'http-proxy-agent';
import { HttpsProxyAgent } from 'https-proxy-agent';

/**
 * CONNECT tunnels whose TLS to the API is verified like a direct connection's: the agent hands
 * the TLS handshake only the request's options, which do not carry the extra CA.
 */
class TunnelAgent extends HttpsProxyAgent<string> {
  constructor(
    proxyUrl: string,
    private readonly ca: string[] | undefined,
  ) {
    super(proxyUrl, { keepAlive: true, maxSockets: 64 });
  }

  override connect(
    req: http.ClientRequest,
    opts: Parameters<HttpsProxyAgent<string>['connect']>[1],
  ): ReturnType<HttpsProxyAgent<string>['connect']> {
    // The agent drops `host` from the TLS options, so an IP address would be checked against
    // "localhost": check the certificate against the API host itself.
    const host = opts.host ?? '';
    const tlsOptions = {
      ...opts,
      rejectUnauthorized: true,
      ...(this.ca ? { ca: this.ca } : {}),
      checkServerIdentity: (_: string, cert: PeerCertificate) => checkServerIdentity(host, cert),
    };
    return super.connect(req, tlsOptions as typeof opts);
  }
}

/**
 * The agent for requests through an egress proxy: HTTPS goes through a CONNECT tunnel, its TLS
 * verified against the API's certificate as when direct; plain HTTP is sent to the proxy as
 * absolute-form requests. Loaded only when a proxy is in use (src/itnio/client.ts).
 */
export function createProxyAgent(proxyUrl: string, secure: boolean, ca: string[] | undefined): http.Agent {
  return secure ? new TunnelAgent(proxyUrl, ca) : new HttpProxyAgent(proxyUrl, { keepAlive: true, maxSockets: 64 });
}
