import type { IncomingMessage, ServerResponse } from 'node:http';
import { acceptsGzip } from '../web/compression';
import type { MetricsRenderer } from './exposition';

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
