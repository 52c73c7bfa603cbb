import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ListenAddress } from '../config/listen-address';
import type { TlsSettings } from '../config/web-config';
import { fairRequestListener } from './fair-queue';
import { createTlsServer } from './tls';

/**
 * Listens (HTTPS when `tls` is given), resolving once bound; rejects with a clear message if the
 * address cannot be used. Requests on kept-alive connections wait their turn behind new
 * connections (fairRequestListener), so a flood of them cannot starve a liveness probe.
 */
export function listen(app: RequestListener, address: ListenAddress, tls?: TlsSettings): Promise<Server> {
  return new Promise((resolve, reject) => {
    const listener = fairRequestListener(app);
    const server: Server = tls ? createTlsServer(tls, listener) : createServer(listener);
    const onError = (error: NodeJS.ErrnoException): void => {
      const where = `${address.host === '' ? '' : address.host.includes(':') ? `[${address.host}]` : address.host}:${address.port}`;
      reject(new Error(`cannot listen on ${where}: ${error.code ?? error.message}`, { cause: error }));
    };
    server.once('error', onError);
    server.listen({ port: address.port, ...(address.host === '' ? {} : { host: address.host }) }, () => {
      server.off('error', onError);
      resolve(server);
    });
  });
}

/** The base URL a bound server answers on, e.g. http://127.0.0.1:10042 (localhost for a wildcard). */
export function serverUrl(server: Server, tls: boolean): string {
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `${tls ? 'https' : 'http'}://${host === '[::]' || host === '0.0.0.0' ? 'localhost' : host}:${address.port}`;
}

/**
 * Stops accepting connections and resolves once the server is closed. Idle keep-alive
 * connections are closed at once; scrapes are short, so anything still open after `graceMs`
 * is cut rather than waited for.
 */
export function closeServer(server: Server, graceMs = 1000): Promise<void> {
  return new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
    setTimeout(() => server.closeAllConnections(), graceMs).unref();
  });
}
