import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { RequestHandler, Response } from 'express';

export type PasswordVerifier = (password: string, hash: string) => Promise<boolean>;

export interface BasicAuthOptions {
  /** User name → bcrypt hash; empty turns authentication off. */
  users: ReadonlyMap<string, string>;
  /** Paths served without credentials, matched exactly (orchestrator probes). */
  openPaths: readonly string[];
  realm: string;
  verify?: PasswordVerifier;
  /** bcrypt checks allowed at once; more are refused at once rather than queued. */
  maxConcurrentChecks?: number;
}

/** How many recently refused credentials are remembered, and for how long. */
const REFUSED_CACHE_SIZE = 1024;
const REFUSED_CACHE_MS = 60_000;

interface Credentials {
  user: string;
  password: string;
}

export function parseBasicAuthorization(header: string | undefined): Credentials | undefined {
  const match = /^Basic[ ]+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1] as string, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * HTTP basic authentication against bcrypt hashes, swappable on reload. A good password is
 * remembered as an HMAC under a per-process random key, so repeated scrapes skip bcrypt.
 */
export class BasicAuth {
  private users: ReadonlyMap<string, string>;
  /** One entry per user at most, so bounded by the configured users; replaced on setUsers. */
  private verified = new Map<string, Buffer>();
  /** HMACs of recently refused credentials → when to forget them; insertion order is age order. */
  private refused = new Map<string, number>();
  private checksRunning = 0;
  private readonly maxConcurrentChecks: number;
  private readonly cacheKey = randomBytes(32);
  private readonly openPaths: ReadonlySet<string>;
  private readonly challenge: string;
  private readonly verify: PasswordVerifier;

  constructor(options: BasicAuthOptions) {
    this.users = options.users;
    this.openPaths = new Set(options.openPaths);
    this.challenge = `Basic realm="${options.realm.replace(/["\\]/g, '')}", charset="UTF-8"`;
    // Loaded on first use: an exporter without basic auth users never needs it.
    this.verify =
      options.verify ?? (async (password, hash) => (await import('bcryptjs')).default.compare(password, hash));
    this.maxConcurrentChecks = options.maxConcurrentChecks ?? 2;
  }

  get enabled(): boolean {
    return this.users.size > 0;
  }

  setUsers(users: ReadonlyMap<string, string>): void {
    this.users = users;
    this.verified = new Map();
    this.refused = new Map();
  }

  /** True when the header carries a configured user and that user's password. */
  async check(header: string | undefined): Promise<boolean> {
    const users = this.users;
    const verified = this.verified;
    const credentials = parseBasicAuthorization(header);
    if (!credentials || users.size === 0) return false;
    const { user, password } = credentials;
    const digest = createHmac('sha256', this.cacheKey).update(`${user.length}:${user}:${password}`).digest();
    const known = verified.get(user);
    if (known && timingSafeEqual(known, digest)) return true;

    // bcrypt costs ~100 ms of this single thread: a stream of bad logins must not stall scrapes.
    // The same wrong credentials are refused from memory, and only a few checks run at once.
    const key = digest.toString('base64');
    const refusedUntil = this.refused.get(key);
    if (refusedUntil !== undefined && refusedUntil > Date.now()) return false;
    if (this.checksRunning >= this.maxConcurrentChecks) return false;

    const hash = users.get(user);
    this.checksRunning++;
    let ok: boolean;
    try {
      // An unknown user still costs one bcrypt run (against a real hash, so at a real cost):
      // the answer time does not tell which user names exist.
      ok = await this.verify(password, hash ?? (users.values().next().value as string));
    } finally {
      this.checksRunning--;
    }
    if (!ok || hash === undefined) {
      this.rememberRefused(key);
      return false;
    }
    verified.set(user, digest);
    return true;
  }

  private rememberRefused(key: string): void {
    this.refused.delete(key);
    this.refused.set(key, Date.now() + REFUSED_CACHE_MS);
    if (this.refused.size > REFUSED_CACHE_SIZE) this.refused.delete(this.refused.keys().next().value as string);
  }

  middleware(): RequestHandler {
    return (req, res, next) => {
      if (!this.enabled || this.openPaths.has(req.path)) return next();
      this.check(req.headers.authorization).then((ok) => (ok ? next() : this.deny(res)), next);
    };
  }

  private deny(res: Response): void {
    // The same answer for a missing header, an unknown user and a wrong password.
    res.status(401).set('WWW-Authenticate', this.challenge).type('text').send('Unauthorized\n');
  }
}
