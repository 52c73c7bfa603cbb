import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface FetchOptions {
  method?: string;
  /** user:password for basic auth, or a whole Authorization header value. */
  auth?: string;
  authorization?: string;
  ca?: string;
  cert?: string;
  key?: string;
  maxVersion?: 'TLSv1.2' | 'TLSv1.3';
}

export interface FetchResult {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One request on a fresh connection (no agent), so each one does its own TLS handshake. */
export function fetchUrl(url: string, options: FetchOptions = {}): Promise<FetchResult> {
  const target = new URL(url);
  const headers: Record<string, string> = {};
  if (options.auth !== undefined) headers.authorization = `Basic ${Buffer.from(options.auth).toString('base64')}`;
  if (options.authorization !== undefined) headers.authorization = options.authorization;
  return new Promise((resolve, reject) => {
    const common = { method: options.method ?? 'GET', headers, agent: false as const };
    const req =
      target.protocol === 'https:'
        ? httpsRequest(target, {
            ...common,
            ...(options.ca ? { ca: options.ca } : {}),
            ...(options.cert ? { cert: options.cert } : {}),
            ...(options.key ? { key: options.key } : {}),
            ...(options.maxVersion ? { maxVersion: options.maxVersion } : {}),
          })
        : httpRequest(target, common);
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}
