import { createServer as createHttpsServer, type Server as HttpsServer, type ServerOptions } from 'node:https';
import type { RequestListener } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { ClientAuthType, TlsSettings } from '../config/web-config';

/** The parts of the settings a running server can swap in place (certificate rotation). */
function secureContextOptions(tls: TlsSettings): ServerOptions {
  return {
    cert: tls.cert,
    key: tls.key,
    minVersion: tls.minVersion,
    maxVersion: tls.maxVersion,
    ...(tls.clientCa !== undefined ? { ca: tls.clientCa } : {}),
  };
}

/**
 * Go's tls.ClientAuthType in Node terms. Node can only require-and-verify during the handshake;
 * "require any" and "verify if given" are checked right after it (see enforceClientAuth).
 */
function clientAuthOptions(type: ClientAuthType): Pick<ServerOptions, 'requestCert' | 'rejectUnauthorized'> {
  switch (type) {
    case 'NoClientCert':
      return { requestCert: false, rejectUnauthorized: false };
    case 'RequireAndVerifyClientCert':
      return { requestCert: true, rejectUnauthorized: true };
    default:
      return { requestCert: true, rejectUnauthorized: false };
  }
}

/** Whether a finished handshake meets the policy; false means drop the connection. */
function clientCertAcceptable(
  type: ClientAuthType,
  socket: Pick<TLSSocket, 'authorized' | 'getPeerCertificate'>,
): boolean {
  const given = Object.keys(socket.getPeerCertificate() ?? {}).length > 0;
  switch (type) {
    case 'RequireAnyClientCert':
    case 'RequireClientCert':
      return given;
    case 'VerifyClientCertIfGiven':
      return !given || socket.authorized;
    case 'RequireAndVerifyClientCert':
      return given && socket.authorized;
    default:
      return true;
  }
}

export function createTlsServer(tls: TlsSettings, listener: RequestListener): HttpsServer {
  const server = createHttpsServer(
    { ...secureContextOptions(tls), ...clientAuthOptions(tls.clientAuthType) },
    listener,
  );
  // Runs before the HTTP parser sees a byte of the connection.
  server.prependListener('secureConnection', (socket: TLSSocket) => {
    if (!clientCertAcceptable(tls.clientAuthType, socket)) socket.destroy();
  });
  return server;
}

/** New certificate, key, client CA and versions for connections from now on. */
export function updateTlsServer(server: HttpsServer, tls: TlsSettings): void {
  server.setSecureContext(secureContextOptions(tls));
}
