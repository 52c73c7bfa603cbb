import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { RequestHandler, Response } from 'express';
import { workerVerifier, type PasswordVerifier } from './bcrypt-worker';

export type { PasswordVerifier } from './bcrypt-worker';

export interface BasicAuthOptions {
  /** User name → bcrypt hash; empty turns authentication off. */
  users: ReadonlyMap<string, string>;
  /** Paths served without credentials, matched exactly (orchestrator probes). */
  openPaths: readonly string[];
  realm: string;
  /** Default: bcryptjs on a worker thread. */
  verify?: PasswordVerifier;
  /** bcrypt checks handed to `verify` at once; default 1 (one worker thread). */
  maxConcurrentChecks?: number;
  /** Checks waiting per client address, for first attempts and for retries each; past that a login is refused at once. Default 16. */
  maxWaiting?: number;
  /** A refusal on a connection that had already been refused waits this long (a tarpit); default 1000 ms. */
  retryDelayMs?: number;
  /** Waits `ms` before a refusal decided without bcrypt (an unknown user, a remembered wrong password); default a timer. */
  wait?: (ms: number) => Promise<void>;
}

/** How many recently refused credentials are remembered, and for how long. */
const REFUSED_CACHE_SIZE = 1024;
const REFUSED_CACHE_MS = 60_000;

/** Who asks: the connection (socket) and its remote address. */
export interface Client {
  connection: object;
  address: string;
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
 * HTTP basic authentication against bcrypt hashes, swappable on reload.
 *
 * Under a flood of wrong passwords (docs/security.md has the figures):
 * - a good password is remembered as an HMAC of hash, user and password under a per-process key,
 *   so a remembered user needs no bcrypt, and stays remembered across a reload that keeps its hash;
 * - bcrypt runs on a worker thread, so the event loop keeps serving;
 * - an unknown user name costs no bcrypt: it is refused after about as long as a check takes,
 *   and so is a remembered wrong password, so the answer time does not tell which names exist;
 * - checks wait in bounded queues, one per client address, served in turn, so a flood from one
 *   address gets one check in turn with each other address; within an address a connection that
 *   has already sent a wrong password waits behind those that have not; the same wrong
 *   credentials are refused from memory;
 * - a connection refused before gets its next refusal after a second (a tarpit), which slows a
 *   kept-alive flood to about one attempt per connection per second.
 */
export class BasicAuth {
  private users: ReadonlyMap<string, string>;
  /** User → HMAC of the last good credentials; bounded by the configured users. */
  private readonly verified = new Map<string, Buffer>();
  /** HMACs of recently refused credentials → when to forget them; insertion order is age order. */
  private readonly refused = new Map<string, number>();
  /** Connections that sent a wrong password: their next checks wait behind everyone else's. */
  private readonly failedConnections = new WeakSet<object>();
  /** Checks waiting for a slot, per client address, in turn order. */
  private readonly waiting = new Map<string, { first: Array<() => void>; retry: Array<() => void> }>();
  private checksRunning = 0;
  /** The address whose check started last: it waits for its next turn behind other addresses. */
  private lastServed = '';
  /** Recent bcrypt durations (ms), to answer for unknown users after about as long. */
  private typicalCheckMs = 100;
  private readonly maxConcurrentChecks: number;
  private readonly maxWaiting: number;
  private readonly retryDelayMs: number;
  private readonly cacheKey = randomBytes(32);
  private readonly openPaths: ReadonlySet<string>;
  private readonly challenge: string;
  private readonly verify: PasswordVerifier;
  private readonly wait: (ms: number) => Promise<void>;
  private readonly closeVerifier: (() => Promise<void>) | undefined;

  constructor(options: BasicAuthOptions) {
    this.users = options.users;
    this.openPaths = new Set(options.openPaths);
    this.challenge = `Basic realm="${options.realm.replace(/["\\]/g, '')}", charset="UTF-8"`;
    if (options.verify) {
      this.verify = options.verify;
    } else {
      const worker = workerVerifier();
      this.verify = worker;
      this.closeVerifier = worker.close;
    }
    this.maxConcurrentChecks = options.maxConcurrentChecks ?? 1;
    this.maxWaiting = options.maxWaiting ?? 16;
    this.retryDelayMs = options.retryDelayMs ?? 1000;
    this.wait = options.wait ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** Ends the bcrypt worker thread, if this started one. */
  async close(): Promise<void> {
    await this.closeVerifier?.();
  }

  get enabled(): boolean {
    return this.users.size > 0;
  }

  /** New users; remembered passwords stay for users whose hash did not change. */
  setUsers(users: ReadonlyMap<string, string>): void {
    for (const user of this.verified.keys()) if (!users.has(user)) this.verified.delete(user);
    this.users = users;
  }

  private digest(hash: string, user: string, password: string): Buffer {
    return createHmac('sha256', this.cacheKey)
      .update(`${hash.length}:${hash}:${user.length}:${user}:${password}`)
      .digest();
  }

  /**
   * True when the header carries a configured user and that user's password. `client` ranks
   * the check (see slot); without it, all checks share one line.
   */
  async check(header: string | undefined, client: Client = { connection: {}, address: '' }): Promise<boolean> {
    const credentials = parseBasicAuthorization(header);
    if (!credentials || this.users.size === 0) return false;
    const { user, password } = credentials;
    const hash = this.users.get(user);
    // No bcrypt for a name that does not exist, but no faster answer either.
    if (hash === undefined) return this.refuseAfterTypicalCheck(client);
    const digest = this.digest(hash, user, password);
    const known = this.verified.get(user);
    if (known && timingSafeEqual(known, digest)) return true;
    const key = digest.toString('base64');
    const refusedUntil = this.refused.get(key);
    if (refusedUntil !== undefined && refusedUntil > Date.now()) return this.refuseAfterTypicalCheck(client);

    if (!(await this.slot(client, this.failedConnections.has(client.connection)))) return this.fail(client);
    let ok: boolean;
    const started = performance.now();
    try {
      ok = await this.verify(password, hash);
    } finally {
      this.typicalCheckMs = Math.round(this.typicalCheckMs * 0.8 + (performance.now() - started) * 0.2);
      this.release();
    }
    if (!ok) {
      this.rememberRefused(key);
      return this.fail(client);
    }
    // A check that finished after a reload changed this user's hash is not remembered.
    if (this.users.get(user) === hash) this.verified.set(user, digest);
    return true;
  }

  /**
   * A refusal decided without bcrypt, answered after about as long as a check takes and marking
   * the connection as refused, like a wrong password checked with bcrypt: neither the answer time
   * nor the next attempt's tarpit tells an unknown user from a real one.
   */
  private async refuseAfterTypicalCheck(client: Client): Promise<false> {
    await this.wait(this.typicalCheckMs);
    return this.fail(client);
  }

  private fail(client: Client): false {
    this.failedConnections.add(client.connection);
    return false;
  }

  /**
   * Resolves true when a check may run, false when too many from this address already wait.
   * Waiting checks are taken one address at a time in turn, and within an address first
   * attempts before retries of connections that already failed.
   */
  private slot(client: Client, retry: boolean): Promise<boolean> {
    if (this.checksRunning < this.maxConcurrentChecks) {
      this.checksRunning++;
      this.lastServed = client.address;
      return Promise.resolve(true);
    }
    let lines = this.waiting.get(client.address);
    if (!lines) {
      lines = { first: [], retry: [] };
      this.waiting.set(client.address, lines);
    }
    const line = retry ? lines.retry : lines.first;
    if (line.length >= this.maxWaiting) return Promise.resolve(false);
    return new Promise((resolve) => line.push(() => resolve(true)));
  }

  /** Hands the freed slot to the next address in turn, skipping the one just served if others wait. */
  private release(): void {
    let pick: string | undefined;
    for (const address of this.waiting.keys()) {
      if (address !== this.lastServed) {
        pick = address;
        break;
      }
    }
    if (pick === undefined && this.waiting.has(this.lastServed)) pick = this.lastServed;
    const lines = pick === undefined ? undefined : this.waiting.get(pick);
    if (pick === undefined || !lines) {
      this.checksRunning--;
      return;
    }
    const next = lines.first.shift() ?? lines.retry.shift();
    // This address goes to the back of the turn; an address with nothing waiting leaves it.
    this.waiting.delete(pick);
    if (lines.first.length + lines.retry.length > 0) this.waiting.set(pick, lines);
    this.lastServed = pick;
    next?.();
  }

  private rememberRefused(key: string): void {
    this.refused.delete(key);
    this.refused.set(key, Date.now() + REFUSED_CACHE_MS);
    if (this.refused.size > REFUSED_CACHE_SIZE) this.refused.delete(this.refused.keys().next().value as string);
  }

  middleware(): RequestHandler {
    return (req, res, next) => {
      if (!this.enabled || this.openPaths.has(req.path)) return next();
      const client = { connection: req.socket, address: req.socket.remoteAddress ?? '' };
      // A connection refused before waits a while for its next refusal: a kept-alive flood then
      // sends about one attempt a second per connection instead of as fast as it is answered.
      const delay = this.failedConnections.has(req.socket) ? this.retryDelayMs : 0;
      this.check(req.headers.authorization, client).then((ok) => {
        if (ok) next();
        else if (delay > 0) setTimeout(() => this.deny(res), delay).unref();
        else this.deny(res);
      }, next);
    };
  }

  private deny(res: Response): void {
    // The same answer for a missing header, an unknown user and a wrong password.
    res.status(401).set('WWW-Authenticate', this.challenge).type('text').send('Unauthorized\n');
  }
}
