import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request, type IncomingHttpHeaders } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

export interface SelfSignedCert {
  keyFile: string;
  certFile: string;
}

/** A throw-away self-signed certificate for 127.0.0.1, made by the openssl CLI in `dir`. */
export function makeSelfSignedCert(dir: string): SelfSignedCert {
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  const result = spawnSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ],
    { encoding: 'utf8' },
  );
  if (result.error || result.status !== 0)
    throw new Error(`openssl could not make a certificate: ${result.error?.message ?? result.stderr}`);
  return { keyFile, certFile };
}

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
