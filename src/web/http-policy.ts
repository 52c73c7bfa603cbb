import type { RequestHandler } from 'express';
import type { RateLimit, WebConfig } from '../config/web-config';

/**
 * What the web config's http_server_config and rate_limit ask of every response, swappable on
 * reload: the configured security headers, X-Content-Type-Options: nosniff always, and a token
 * bucket answering 429 past its burst.
 */

/** A token bucket as golang.org/x/time/rate's Limiter: `burst` tokens, one back every interval. */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    readonly limit: RateLimit,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = limit.burst;
    this.last = now();
  }

  /** Takes a token if one is there. */
  allow(): boolean {
    const t = this.now();
    this.tokens = Math.min(this.limit.burst, this.tokens + (t - this.last) / this.limit.intervalMs);
    this.last = t;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

export interface HttpPolicyOptions {
  web: WebConfig | undefined;
  /** Paths the rate limit never refuses (orchestrator probes: a 429 there would restart the exporter). */
  openPaths: readonly string[];
}

export class HttpPolicy {
  private headers: ReadonlyArray<[string, string]> = [];
  private bucket: TokenBucket | undefined;
  private readonly openPaths: ReadonlySet<string>;

  constructor(options: HttpPolicyOptions) {
    this.openPaths = new Set(options.openPaths);
    this.setWebConfig(options.web);
  }

  /** New headers at once; a changed rate limit starts a full bucket, an unchanged one keeps its state. */
  setWebConfig(web: WebConfig | undefined): void {
    this.headers = [['X-Content-Type-Options', 'nosniff'], ...Object.entries(web?.headers ?? {})];
    const limit = web?.rateLimit;
    const same =
      limit &&
      this.bucket &&
      limit.burst === this.bucket.limit.burst &&
      limit.intervalMs === this.bucket.limit.intervalMs;
    if (!same) this.bucket = limit ? new TokenBucket(limit) : undefined;
  }

  middleware(): RequestHandler {
    return (req, res, next) => {
      for (const [name, value] of this.headers) res.setHeader(name, value);
      if (this.bucket && !this.openPaths.has(req.path) && !this.bucket.allow()) {
        res.status(429).type('text').send('Too Many Requests\n');
        return;
      }
      next();
    };
  }
}
