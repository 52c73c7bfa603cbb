import express, { type Express, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { AccountStore } from '../store/account-store';
import type { Logger } from '../log/logger';
import { createMetricsHandler } from '../metrics/route';
import type { MetricsRenderer } from '../metrics/exposition';
import { addStatusRoutes, type StatusPageSource } from '../status-page/routes';
import type { ReloadResult } from '../reload/config-reloader';
import { reloadHandler } from '../reload/reload-route';

export interface AppOptions {
  telemetryPath: string;
  metrics: MetricsRenderer;
  accounts: AccountStore;
  page: StatusPageSource;
  logger: Logger;
  /** Runs before every route (headers, rate limit, basic auth). */
  auth?: RequestHandler;
  /** Serves /-/reload when set (--web.enable-lifecycle). */
  reload?: (trigger: string) => Promise<ReloadResult>;
}

export function createApp(options: AppOptions): Express {
  const { logger } = options;
  const app = express();
  app.disable('x-powered-by');
  // Paths match exactly as written: /Healthz or /healthz/ is not the open probe path.
  app.set('case sensitive routing', true);
  app.set('strict routing', true);
  app.set('etag', false);
  if (options.auth) app.use(options.auth);

  app.get(options.telemetryPath, createMetricsHandler(options.metrics));

  addStatusRoutes(app, { telemetryPath: options.telemetryPath, accounts: options.accounts, page: options.page });

  // /-/healthy and /-/ready: the names Prometheus and blackbox use for the same probes.
  app.get(['/healthz', '/-/healthy'], (_req, res) => {
    res.type('text').send('ok\n');
  });

  app.get(['/readyz', '/-/ready'], (_req, res) => {
    if (options.accounts.allAttempted()) res.type('text').send('ready\n');
    else res.status(503).type('text').send('waiting for the first poll of every account\n');
  });

  if (options.reload) app.all('/-/reload', reloadHandler(options.reload));

  app.use((_req, res) => {
    res.status(404).type('text').send('not found\n');
  });

  // Express needs all four parameters to treat this as an error handler.
  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    logger.error({ path: req.path, err: error instanceof Error ? error.message : String(error) }, 'request failed');
    if (!res.headersSent) res.status(500).type('text').send('internal error\n');
  });
  return app;
}
