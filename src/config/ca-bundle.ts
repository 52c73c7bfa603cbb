import { X509Certificate } from 'node:crypto';

export interface CaBundleCheck {
  /** Why the text cannot serve as CA certificates; never quotes it. */
  problem?: string;
  /** Usable, but worth a line at start-up. */
  warning?: string;
}

const BLOCK_RE = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

/**
 * Whether a PEM text holds CA certificates, and only those. Node's TLS takes any text as `ca`
 * without complaint, so a key or an empty file would only show as a TLS error on every poll.
 */
export function checkCaBundle(text: string): CaBundleCheck {
  const blocks = [...text.matchAll(BLOCK_RE)];
  const certificates = blocks.filter((b) => b[1] === 'CERTIFICATE' || b[1] === 'TRUSTED CERTIFICATE');
  const hasKey = blocks.some((b) => (b[1] as string).endsWith('PRIVATE KEY'));
  if (certificates.length === 0) {
    return {
      problem: hasKey
        ? 'it holds a private key and no certificate'
        : 'it holds no PEM certificate ("-----BEGIN CERTIFICATE-----")',
    };
  }
  for (const [index, block] of certificates.entries()) {
    try {
      new X509Certificate(block[0]);
    } catch (error) {
      // OpenSSL's reason names the failing check ("wrong tag"), not the content.
      return { problem: `certificate ${index + 1} in it cannot be read (${(error as Error).message})` };
    }
  }
  return hasKey
    ? { warning: 'also holds a private key; a CA file needs only certificates: keep the key out of it' }
    : {};
}
