import { createServer, type RequestListener, type Server } from 'node:http';
import type { ListenAddress } from '../config/listen-address';
import type { TlsSettings } from '../config/web-config';
import { createTlsServer } from './tls';

/** Listens (HTTPS when `tls` is given), resolving once bound; rejects with a clear message if the address cannot be used. */
export function listen(app: RequestListener, address: ListenAddress, tls?: TlsSettings): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server: Server = tls ? createTlsServer(tls, app) : createServer(app);
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
