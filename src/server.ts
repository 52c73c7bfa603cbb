import { createServer, type Server } from 'node:http';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { AccountStatusStore } from './account-status';
import type { ListenAddress } from './config';
import { renderLandingPage } from './landing-page';
import type { Logger } from './logger';
import { createMetricsHandler } from './metrics-handler';
import type { MetricsRenderer } from './metrics-renderer';

export interface AppOptions {
  telemetryPath: string;
  metrics: MetricsRenderer;
  statuses: AccountStatusStore;
  page: { name: string; version: string; pollDescription: () => string };
  logger: Logger;
}

export function createApp(options: AppOptions): Express {
  const { logger } = options;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  app.get(options.telemetryPath, createMetricsHandler(options.metrics));

  app.get('/', (_req, res) => {
    res.type('html').send(
      renderLandingPage({
        name: options.page.name,
        version: options.page.version,
        telemetryPath: options.telemetryPath,
        pollDescription: options.page.pollDescription(),
        accounts: options.statuses.list(),
      }),
    );
  });

  app.get('/healthz', (_req, res) => {
    res.type('text').send('ok\n');
  });

  app.get('/readyz', (_req, res) => {
    if (options.statuses.allAttempted()) res.type('text').send('ready\n');
    else res.status(503).type('text').send('waiting for the first poll of every account\n');
  });

  app.use((_req, res) => {
    res.status(404).type('text').send('not found\n');
  });

  // Express needs all four parameters to treat this as an error handler.
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    logger.error({ path: req.path, err: error instanceof Error ? error.message : String(error) }, 'request failed');
    if (!res.headersSent) res.status(500).type('text').send('internal error\n');
  });
  return app;
}

/** Listens, resolving once bound; rejects with a clear message if the address cannot be used. */
export function listen(app: Express, address: ListenAddress): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer(app);
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
