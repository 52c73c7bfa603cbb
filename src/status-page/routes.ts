import { gzipSync } from 'node:zlib';
import type { Express, Request, Response } from 'express';
import type { AccountStore } from '../store/account-store';
import { renderLandingPage, statusPageCsp } from './page';
import { acceptsGzip } from '../web/compression';
import { NUMBERS_POLL, numbersPolled } from '../numbers/numbers-samples';
import type { NumbersSlot } from '../numbers/numbers-state';
import { buildStatusReport, type AccountExtras, type StatusReport } from './report';

/** Currency and numbers of each account, as the store holds them now. */
function accountExtras(accounts: AccountStore, numbersEnabled: boolean): (name: string) => AccountExtras | undefined {
  const views = new Map(accounts.snapshot().map((view) => [view.account.name, view]));
  return (name) => {
    const view = views.get(name);
    if (!view) return undefined;
    return {
      ...(view.account.currency ? { currency: view.account.currency } : {}),
      ...(numbersPolled(numbersEnabled, view)
        ? { numbers: { slot: view.slots.get(NUMBERS_POLL) as NumbersSlot | undefined } }
        : {}),
    };
  };
}

const STATUS_API_PATH = '/api/v1/status';
/** How often the page fetches fresh data. */
const STATUS_REFRESH_MS = 3000;
/** Time-dependent fields (ages, staleness, the spend window) are at most this old. */
const REPORT_MAX_AGE_MS = 1000;

export interface StatusPageSource {
  name: string;
  version: string;
  pollDescription: () => string;
  /** --poll.max-age: older data makes an account stale. */
  maxAgeMs: number;
  /** The steady clock: ages and staleness are measured on it. */
  now: () => number;
  /** Turns a steady time into the wall clock time shown (0 when tests set the clock). */
  wallOffsetMs?: () => number;
  /** --collector.numbers: the cards show each polled account's rented numbers. */
  numbersEnabled?: boolean;
}

export interface StatusRoutesOptions {
  telemetryPath: string;
  accounts: AccountStore;
  page: StatusPageSource;
  refreshMs?: number;
}

/** A response body, compressed once on first demand. */
class Body {
  private compressed: Buffer | undefined;

  constructor(readonly plain: Buffer) {}

  get gzipped(): Buffer {
    this.compressed ??= gzipSync(this.plain);
    return this.compressed;
  }
}

const prepare = (text: string): Body => new Body(Buffer.from(text, 'utf8'));

/**
 * The report and its two bodies, built at most once per change of the account store
 * and once a second otherwise: with many accounts building them takes long enough to delay
 * scrapes, and every open page asks every few seconds. Each body is built when first asked for.
 */
class StatusReportCache {
  private key = '';
  private report: StatusReport | undefined;
  private json: Body | undefined;
  private html: Body | undefined;

  constructor(private readonly options: StatusRoutesOptions) {}

  private current(): StatusReport {
    const { page, accounts } = this.options;
    const nowMs = page.now();
    const key = `${accounts.changeCount}/${Math.floor(nowMs / REPORT_MAX_AGE_MS)}`;
    if (this.report === undefined || key !== this.key) {
      this.key = key;
      this.json = undefined;
      this.html = undefined;
      this.report = buildStatusReport({
        name: page.name,
        version: page.version,
        pollDescription: page.pollDescription(),
        maxAgeMs: page.maxAgeMs,
        accounts: accounts.list(),
        history: accounts,
        nowMs,
        wallOffsetMs: page.wallOffsetMs?.() ?? 0,
        accountExtras: accountExtras(accounts, page.numbersEnabled ?? false),
      });
    }
    return this.report;
  }

  jsonBody(): Body {
    const report = this.current();
    this.json ??= prepare(JSON.stringify(report));
    return this.json;
  }

  htmlBody(): Body {
    const report = this.current();
    this.html ??= prepare(
      renderLandingPage({
        report,
        telemetryPath: this.options.telemetryPath,
        statusApiPath: STATUS_API_PATH,
        refreshMs: this.options.refreshMs ?? STATUS_REFRESH_MS,
      }),
    );
    return this.html;
  }
}

function send(req: Request, res: Response, type: string, body: Body): void {
  res.set({ 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff', Vary: 'Accept-Encoding' });
  res.type(type);
  if (acceptsGzip(req.headers['accept-encoding'])) res.set('Content-Encoding', 'gzip').send(body.gzipped);
  else res.send(body.plain);
}

/** GET / (the status page) and GET /api/v1/status (the same data as JSON). */
export function addStatusRoutes(app: Express, options: StatusRoutesOptions): void {
  const cache = new StatusReportCache(options);

  app.get('/', (req, res) => {
    res.set('Content-Security-Policy', statusPageCsp());
    send(req, res, 'html', cache.htmlBody());
  });

  app.get(STATUS_API_PATH, (req, res) => {
    send(req, res, 'json', cache.jsonBody());
  });
}
