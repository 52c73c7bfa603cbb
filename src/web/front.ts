import type { RequestHandler } from 'express';
import type { WebConfig } from '../config/web-config';
import { BasicAuth } from './basic-auth';
import { HttpPolicy } from './http-policy';

/**
 * Paths served without credentials and never rate-limited, matched exactly: orchestrator probes.
 * /-/healthy and /-/ready are the names Prometheus itself and blackbox use.
 */
const OPEN_PATHS = ['/healthz', '/readyz', '/-/healthy', '/-/ready'] as const;

/** Everything the web config asks of a request before any route: headers, rate limit, basic auth. */
export class WebFront {
  private readonly policy: HttpPolicy;
  private readonly auth: BasicAuth;

  constructor(web: WebConfig | undefined, realm: string) {
    this.policy = new HttpPolicy({ web, openPaths: OPEN_PATHS });
    this.auth = new BasicAuth({ users: web?.users ?? new Map(), openPaths: OPEN_PATHS, realm });
  }

  /** Applies a reloaded web config (TLS aside): users, headers, rate limit. */
  setWebConfig(web: WebConfig | undefined): void {
    this.policy.setWebConfig(web);
    this.auth.setUsers(web?.users ?? new Map());
  }

  /** Ends what outlives requests: the bcrypt worker thread. */
  close(): Promise<void> {
    return this.auth.close();
  }

  middleware(): RequestHandler {
    const policy = this.policy.middleware();
    const auth = this.auth.middleware();
    return (req, res, next) => {
      policy(req, res, (error?: unknown) => (error ? next(error) : auth(req, res, next)));
    };
  }
}
