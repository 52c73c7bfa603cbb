import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ListenAddress } from '../config/listen-address';
import type { TlsSettings } from '../config/web-config';
import { fairRequestListener } from './fair-queue';
import { createTlsServer } from './tls';

/** The first socket systemd passes (sd_listen_fds(3)). */
const SD_LISTEN_FDS_START = 3;

/** Where to serve: TCP addresses, or the file descriptors systemd passed (socket activation). */
export type ListenTarget = ListenAddress | { fd: number };

/**
 * The sockets systemd passed this process (LISTEN_PID is this process, LISTEN_FDS how many, from
 * fd 3), as sd_listen_fds does; the variables are then removed so that no child takes them too.
 * Throws when there are none.
 */
export function systemdListenFds(env: NodeJS.ProcessEnv = process.env, pid = process.pid): Array<{ fd: number }> {
  const count = Number(env.LISTEN_FDS);
  const forUs = env.LISTEN_PID === String(pid);
  delete env.LISTEN_FDS;
  delete env.LISTEN_PID;
  delete env.LISTEN_FDNAMES;
  if (!forUs || !Number.isInteger(count) || count < 1) {
    throw new Error(
      '--web.systemd-socket: no socket passed by systemd (LISTEN_FDS/LISTEN_PID not set for this process); ' +
        'start the exporter from its .socket unit, or drop --web.systemd-socket',
    );
  }
  return Array.from({ length: count }, (_, i) => ({ fd: SD_LISTEN_FDS_START + i }));
}

function describe(target: ListenTarget): string {
  if ('fd' in target) return `systemd socket (fd ${target.fd})`;
  const { host, port } = target;
  return `${host === '' ? '' : host.includes(':') ? `[${host}]` : host}:${port}`;
}

/**
 * Listens (HTTPS when `tls` is given), resolving once bound; rejects with a clear message if the
 * address cannot be used. Requests on kept-alive connections wait their turn behind new
 * connections (fairRequestListener), so a flood of them cannot starve a liveness probe.
 */
export function listen(app: RequestListener, target: ListenTarget, tls?: TlsSettings): Promise<Server> {
  return new Promise((resolve, reject) => {
    const listener = fairRequestListener(app);
    const server: Server = tls ? createTlsServer(tls, listener) : createServer(listener);
    const onError = (error: NodeJS.ErrnoException): void => {
      reject(new Error(`cannot listen on ${describe(target)}: ${error.code ?? error.message}`, { cause: error }));
    };
    server.once('error', onError);
    const options =
      'fd' in target ? { fd: target.fd } : { port: target.port, ...(target.host === '' ? {} : { host: target.host }) };
    server.listen(options, () => {
      server.off('error', onError);
      resolve(server);
    });
  });
}

/** Listens on every target, or on none: a failure closes those already bound. */
export async function listenAll(
  app: RequestListener,
  targets: readonly ListenTarget[],
  tls?: TlsSettings,
): Promise<Server[]> {
  const results = await Promise.allSettled(targets.map((target) => listen(app, target, tls)));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (!failed) return results.map((r) => (r as PromiseFulfilledResult<Server>).value);
  await Promise.all(results.map((r) => (r.status === 'fulfilled' ? closeServer(r.value, 0) : undefined)));
  throw failed.reason;
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
