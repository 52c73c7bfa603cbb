import { createServer as createHttpsServer, type Server as HttpsServer, type ServerOptions } from 'node:https';
import type { RequestListener } from 'node:http';
import { isIPv6 } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { ClientAuthType, TlsSettings } from '../config/web-config';

/** The parts of the settings a running server can swap in place (certificate rotation). */
function secureContextOptions(tls: TlsSettings): ServerOptions {
  return {
    cert: tls.cert,
    key: tls.key,
    minVersion: tls.minVersion,
    maxVersion: tls.maxVersion,
    honorCipherOrder: tls.honorCipherOrder,
    ...(tls.ciphers !== undefined ? { ciphers: tls.ciphers } : {}),
    ...(tls.ecdhCurve !== undefined ? { ecdhCurve: tls.ecdhCurve } : {}),
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

const SAN_RE = /(DNS|IP Address|email|URI):("(?:[^"\\]|\\.)*"|[^,]*)(?:, |$)/g;

/**
 * The DNS, IP, e-mail and URI subject alternative names of a certificate, each as Go prints it
 * (an IPv6 address in its short form), from Node's `subjectaltname` text.
 */
function subjectAltNames(text: string | undefined): string[] {
  const names: string[] = [];
  for (const match of (text ?? '').matchAll(SAN_RE)) {
    const raw = match[2] as string;
    let value = raw.startsWith('"') ? (JSON.parse(raw) as string) : raw;
    if (match[1] === 'IP Address' && isIPv6(value)) value = new URL(`http://[${value}]/`).hostname.slice(1, -1);
    names.push(value);
  }
  return names;
}

/**
 * client_allowed_sans as exporter-toolkit applies it: when a certificate is asked for, the client's
 * must carry one of the listed SANs exactly; a client without one is refused.
 */
function sansAcceptable(
  allowed: readonly string[] | undefined,
  socket: Pick<TLSSocket, 'getPeerCertificate'>,
): boolean {
  if (allowed === undefined) return true;
  const cert = socket.getPeerCertificate();
  if (!cert || Object.keys(cert).length === 0) return false;
  return subjectAltNames(cert.subjectaltname).some((name) => allowed.includes(name));
}

export function createTlsServer(tls: TlsSettings, listener: RequestListener): HttpsServer {
  const server = createHttpsServer(
    { ...secureContextOptions(tls), ...clientAuthOptions(tls.clientAuthType) },
    listener,
  );
  let current = tls;
  // Runs before the HTTP parser sees a byte of the connection.
  server.prependListener('secureConnection', (socket: TLSSocket) => {
    const sans = current.clientAuthType === 'NoClientCert' ? undefined : current.clientAllowedSans;
    if (!clientCertAcceptable(current.clientAuthType, socket) || !sansAcceptable(sans, socket)) socket.destroy();
  });
  tlsUpdates.set(server, (next) => {
    current = next;
  });
  return server;
}

const tlsUpdates = new WeakMap<HttpsServer, (tls: TlsSettings) => void>();

/** New certificate, key, client CA, versions, ciphers, curves and allowed SANs for connections from now on. */
export function updateTlsServer(server: HttpsServer, tls: TlsSettings): void {
  server.setSecureContext(secureContextOptions(tls));
  tlsUpdates.get(server)?.(tls);
}
