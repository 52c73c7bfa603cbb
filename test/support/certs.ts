import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestPki {
  dir: string;
  /** Paths inside dir. */
  caCert: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A client certificate from a CA the server does not trust. */
  rogueCert: string;
  rogueKey: string;
  /** A second CA, with a server certificate for 127.0.0.1 of its own (certificate rotation). */
  otherCaCert: string;
  otherServerCert: string;
  otherServerKey: string;
  read(path: string): string;
  remove(): void;
}

function openssl(dir: string, args: string[]): void {
  try {
    execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new Error(
      missing
        ? 'the openssl CLI is needed to make test certificates (Debian package openssl)'
        : `openssl ${args[0]} failed`,
      { cause: error },
    );
  }
}

function issue(dir: string, name: string, subject: string, ca: string, extensions: string, rsa = false): void {
  openssl(dir, [
    'req',
    '-newkey',
    ...(rsa ? ['rsa:2048'] : ['ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1']),
    '-nodes',
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.csr`,
    '-subj',
    subject,
  ]);
  writeFileSync(join(dir, `${name}.ext`), extensions);
  openssl(dir, [
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    `${ca}.crt`,
    '-CAkey',
    `${ca}.key`,
    '-CAcreateserial',
    '-out',
    `${name}.crt`,
    '-days',
    '2',
    '-extfile',
    `${name}.ext`,
  ]);
}

function selfSigned(dir: string, name: string, subject: string, extra: string[] = []): void {
  openssl(dir, [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.crt`,
    '-days',
    '2',
    '-subj',
    subject,
    ...extra,
  ]);
}

export interface SelfSignedCert {
  keyFile: string;
  certFile: string;
}

/** A throw-away self-signed certificate for 127.0.0.1, made with the openssl CLI in `dir`. */
export function makeSelfSignedCert(dir: string): SelfSignedCert {
  selfSigned(dir, 'self-signed', '/CN=127.0.0.1', ['-addext', 'subjectAltName=IP:127.0.0.1']);
  return { keyFile: join(dir, 'self-signed.key'), certFile: join(dir, 'self-signed.crt') };
}

/** A throw-away CA with a server certificate for 127.0.0.1 and client certificates, made with the openssl CLI. */
export function createTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'itnio-pki-'));
  selfSigned(dir, 'ca', '/CN=itnio test CA');
  selfSigned(dir, 'rogue-ca', '/CN=untrusted CA');
  issue(
    dir,
    'server',
    '/CN=localhost',
    'ca',
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n',
  );
  issue(dir, 'client', '/CN=prometheus', 'ca', 'extendedKeyUsage=clientAuth\n');
  issue(dir, 'rogue', '/CN=prometheus', 'rogue-ca', 'extendedKeyUsage=clientAuth\n');
  issue(
    dir,
    'other-server',
    '/CN=localhost',
    'rogue-ca',
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n',
  );
  const at = (file: string): string => join(dir, file);
  return {
    dir,
    caCert: at('ca.crt'),
    serverCert: at('server.crt'),
    serverKey: at('server.key'),
    clientCert: at('client.crt'),
    clientKey: at('client.key'),
    rogueCert: at('rogue.crt'),
    rogueKey: at('rogue.key'),
    otherCaCert: at('rogue-ca.crt'),
    otherServerCert: at('other-server.crt'),
    otherServerKey: at('other-server.key'),
    read: (path) => readFileSync(path, 'utf8'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * One more certificate from the test CA (`ca`, or the untrusted `rogue-ca`) in `pki.dir`: an RSA
 * or EC key, with the given openssl extensions. Returns the paths of NAME.crt and NAME.key.
 */
export function issueCert(
  pki: TestPki,
  name: string,
  options: { rsa?: boolean; ca?: 'ca' | 'rogue-ca'; subject?: string; extensions: string },
): { cert: string; key: string } {
  issue(pki.dir, name, options.subject ?? `/CN=${name}`, options.ca ?? 'ca', options.extensions, options.rsa ?? false);
  return { cert: join(pki.dir, `${name}.crt`), key: join(pki.dir, `${name}.key`) };
}

/** bcrypt of "correct horse" made by `htpasswd -nbBC 10 "" 'correct horse'` (apache2-utils): a $2y$ hash. */
export const HTPASSWD_HASH = '$2y$10$0DUTqAJX6wnPzDH3S7CCd.QIeB2fmHhdTWMFIOa6ZgZPM.KRtjHQG';
export const HTPASSWD_PASSWORD = 'correct horse';
