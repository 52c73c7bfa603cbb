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
}

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
  private readonly cacheKey = randomBytes(32);
  private readonly openPaths: ReadonlySet<string>;
  private readonly challenge: string;
  private readonly verify: PasswordVerifier;

  constructor(options: BasicAuthOptions) {
    this.users = options.users;
    this.openPaths = new Set(options.openPaths);
    this.challenge = `Basic realm="${options.realm.replace(/["\\]/g, '')}", charset="UTF-8"`;
    // Loaded on first use: an exporter without basic auth users never needs it.
    this.verify = options.verify ?? (async (password, hash) => (await import('bcryptjs')).default.compare(password, hash));
  }

  get enabled(): boolean {
    return this.users.size > 0;
  }

  setUsers(users: ReadonlyMap<string, string>): void {
    this.users = users;
    this.verified = new Map();
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

    const hash = users.get(user);
    // An unknown user still costs one bcrypt run (against a real hash, so at a real cost):
    // the answer time does not tell which user names exist.
    const ok = await this.verify(password, hash ?? (users.values().next().value as string));
    if (!ok || hash === undefined) return false;
    verified.set(user, digest);
    return true;
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
