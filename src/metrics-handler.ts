import type { IncomingMessage, ServerResponse } from 'node:http';
import type { MetricsRenderer } from './metrics-renderer';

/**
 * Whether an Accept-Encoding header admits gzip (RFC 9110 §12.5.3): listed with a non-zero
 * q, or covered by "*" with a non-zero q when gzip itself is not listed.
 */
export function acceptsGzip(header: string | undefined): boolean {
  if (!header) return false;
  let star: boolean | undefined;
  for (const item of header.split(',')) {
    const [coding = '', ...params] = item.split(';').map((part) => part.trim().toLowerCase());
    const q = params.find((p) => p.startsWith('q='));
    const allowed = q === undefined || Number(q.slice(2)) > 0;
    if (coding === 'gzip' || coding === 'x-gzip') return allowed;
    if (coding === '*') star = allowed;
  }
  return star ?? false;
}

/**
 * The /metrics handler, a plain (req, res, next) function for Express to mount behind any
 * middleware: it writes prepared bytes straight to the response, gzipped when the scraper
 * accepts it, with none of Express' per-response work.
 */
export function createMetricsHandler(renderer: MetricsRenderer) {
  return (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void): void => {
    const gzip = acceptsGzip(req.headers['accept-encoding']);
    renderer.payload(gzip).then(
      (body) => {
        const headers: Record<string, string | number> = {
          'Content-Type': renderer.contentType,
          'Content-Length': body.length,
          Vary: 'Accept-Encoding',
        };
        if (gzip) headers['Content-Encoding'] = 'gzip';
        res.writeHead(200, headers).end(body);
      },
      (error: unknown) => next(error),
    );
  };
}
