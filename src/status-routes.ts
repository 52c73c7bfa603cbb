import { randomBytes } from 'node:crypto';
import type { Express } from 'express';
import type { AccountStatusStore } from './account-status';
import { BalanceHistory } from './balance-history';
import { renderLandingPage } from './landing-page';
import { buildStatusReport, type StatusReport } from './status-report';

export const STATUS_API_PATH = '/api/v1/status';
/** How often the page fetches fresh data. */
export const STATUS_REFRESH_MS = 3000;
/** --poll.max-age's default, for an app built without one. */
const DEFAULT_MAX_AGE_MS = 60 * 60 * 1000;

export interface StatusPageSource {
  name: string;
  version: string;
  pollDescription: () => string;
  /** --poll.max-age: older data makes an account stale. */
  maxAgeMs?: number;
  history?: BalanceHistory;
  now?: () => number;
}

export interface StatusRoutesOptions {
  telemetryPath: string;
  statuses: AccountStatusStore;
  page: StatusPageSource;
  refreshMs?: number;
}

/**
 * Only our own inline style and script run (by nonce), the script may fetch from this origin
 * only, and the page cannot be framed.
 */
export function statusPageCsp(nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src 'nonce-${nonce}'`,
    "connect-src 'self'",
    'img-src data:',
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** GET / (the status page) and GET /api/v1/status (the same data as JSON). */
export function addStatusRoutes(app: Express, options: StatusRoutesOptions): void {
  const { page } = options;
  const history = page.history ?? new BalanceHistory({ accounts: [], maxGapMs: page.maxAgeMs ?? DEFAULT_MAX_AGE_MS });
  const now = page.now ?? Date.now;
  const report = (): StatusReport =>
    buildStatusReport({
      name: page.name,
      version: page.version,
      pollDescription: page.pollDescription(),
      maxAgeMs: page.maxAgeMs ?? DEFAULT_MAX_AGE_MS,
      accounts: options.statuses.list(),
      history,
      nowMs: now(),
    });

  app.get('/', (_req, res) => {
    const nonce = randomBytes(16).toString('base64');
    res.set({ 'Content-Security-Policy': statusPageCsp(nonce), 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
    res.type('html').send(
      renderLandingPage({
        report: report(),
        telemetryPath: options.telemetryPath,
        statusApiPath: STATUS_API_PATH,
        refreshMs: options.refreshMs ?? STATUS_REFRESH_MS,
        nonce,
      }),
    );
  });

  app.get(STATUS_API_PATH, (_req, res) => {
    res.set({ 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
    res.json(report());
  });
}
