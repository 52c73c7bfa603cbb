import { readFileSync } from 'node:fs';
import { request, type IncomingHttpHeaders } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { SelfSignedCert } from './certs';

// The TLS front's certificate comes from the one certificate maker of the tests.
export { makeSelfSignedCert, type SelfSignedCert } from './certs';

export interface TlsFront {
  /** e.g. https://127.0.0.1:43121 */
  url: string;
  close(): Promise<void>;
}

/** An HTTPS server on 127.0.0.1 that passes every request through to a plain-HTTP upstream (the simulator). */
export async function startTlsFront(cert: SelfSignedCert, upstreamUrl: string): Promise<TlsFront> {
  const upstream = new URL(upstreamUrl);
  const server: Server = createServer(
    { key: readFileSync(cert.keyFile), cert: readFileSync(cert.certFile) },
    (req, res) => {
      const headers: IncomingHttpHeaders = { ...req.headers, host: upstream.host };
      const forward = request(
        { hostname: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      forward.on('error', () => res.destroy());
      req.pipe(forward);
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
