import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { signRequest } from '../itnio/signing';

/** Ways the simulator can misbehave on purpose, as a real upstream sometimes does. */
const FAULTS = [
  'http500',
  'http429',
  'html',
  'truncated',
  'empty',
  'missing_field',
  'not_a_number',
  'huge',
  'hang',
  'slow_drip',
  'reset',
  'redirect',
] as const;
export type Fault = (typeof FAULTS)[number];

export interface SimulatedAccount {
  apiKey: string;
  apiSecret: string;
  balance: number;
  gift: number;
  credit: number;
  /** Currency per hour the balance falls by, as if the account were sending SMS. */
  spendPerHour: number;
  /** Answer every request with this non-zero status instead of the balance. */
  failStatus?: string;
  fault?: Fault;
}

export interface SimulatorOptions {
  accounts: readonly SimulatedAccount[];
  host?: string;
  port?: number;
  /** The simulator's own clock, Unix ms; tests move it to provoke -16. */
  now?: () => number;
  /** Added to every answer, to stand in for a remote API. */
  latencyMs?: number;
  /** Allowed distance between Timestamp and the server clock (as the white-label docs say: 30 min). */
  timestampWindowSeconds?: number;
  /** Where the "redirect" fault points. */
  redirectTo?: string;
}

export interface AccountPatch {
  balance?: number;
  gift?: number;
  credit?: number;
  spendPerHour?: number;
  failStatus?: string | null;
  fault?: Fault | null;
  /** A rotated secret: requests signed with the old one are refused (-1) from now on. */
  apiSecret?: string;
}

export interface Simulator {
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  /** The API base URL to configure in the exporter: `${url}/sms`. */
  baseUrl: string;
  update(apiKey: string, patch: AccountPatch): void;
  balanceOf(apiKey: string): number;
  /** getBalance requests received, per API key and in all. */
  requestCount(apiKey?: string): number;
  close(): Promise<void>;
}

interface AccountState extends SimulatedAccount {
  /** Balance at `since`; the current balance is derived from the spend rate. */
  since: number;
}

const REASONS: Record<string, string> = {
  '-1': 'authentication error',
  '-2': 'IP access restricted',
  '-13': 'user locked',
  '-15': 'query too frequently',
  '-16': 'timestamp expires',
  '-18': 'port program exception',
};

export async function startSimulator(options: SimulatorOptions): Promise<Simulator> {
  const now = options.now ?? Date.now;
  const window = options.timestampWindowSeconds ?? 1800;
  const accounts = new Map<string, AccountState>();
  for (const account of options.accounts) accounts.set(account.apiKey, { ...account, since: now() });
  const counts = new Map<string, number>();
  let total = 0;
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();

  const currentBalance = (state: AccountState): number => {
    const spent = (state.spendPerHour * (now() - state.since)) / 3_600_000;
    // A prepaid account stops sending once balance and credit are used up.
    return Math.max(state.balance - spent, Math.min(state.balance, -state.credit));
  };

  const later = (ms: number, fn: () => void): void => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, ms);
    timers.add(timer);
  };

  const sendJson = (res: ServerResponse, body: unknown): void => {
    res.writeHead(200, { 'Content-Type': 'application/json;charset=UTF-8' }).end(JSON.stringify(body));
  };

  const answer = (req: IncomingMessage, res: ServerResponse, state: AccountState | undefined): void => {
    const key = req.headers['api-key'];
    const timestamp = req.headers.timestamp;
    const sign = req.headers.sign;
    if (!state || typeof key !== 'string' || typeof sign !== 'string' || typeof timestamp !== 'string') {
      return sendJson(res, { status: '-1', reason: REASONS['-1'] });
    }
    if (sign !== signRequest(key, state.apiSecret, timestamp))
      return sendJson(res, { status: '-1', reason: REASONS['-1'] });
    if (!/^\d{10}$/.test(timestamp) || Math.abs(Number(timestamp) - now() / 1000) > window) {
      return sendJson(res, { status: '-16', reason: REASONS['-16'] });
    }
    if (state.failStatus)
      return sendJson(res, { status: state.failStatus, reason: REASONS[state.failStatus] ?? 'unknown error' });
    switch (state.fault) {
      case 'http500':
        return void res.writeHead(500, { 'Content-Type': 'text/plain' }).end('internal server error');
      case 'http429':
        return void res.writeHead(429, { 'Retry-After': '60' }).end('too many requests');
      case 'html':
        return void res.writeHead(200, { 'Content-Type': 'text/html' }).end('<html><body>Bad gateway</body></html>');
      case 'truncated':
        return void res
          .writeHead(200, { 'Content-Type': 'application/json' })
          .end('{"status":"0","reason":"success","bala');
      case 'empty':
        return void res.writeHead(200).end();
      case 'missing_field':
        return sendJson(res, { status: '0', reason: 'success', balance: '1.000000', gift: '0.00000' });
      case 'not_a_number':
        return sendJson(res, { status: '0', reason: 'success', balance: 'N/A', gift: '0.00000', credit: '0' });
      case 'huge':
        res.writeHead(200, { 'Content-Type': 'application/json' });
        return void res.end(`{"status":"0","pad":"${'x'.repeat(8 * 1024 * 1024)}"}`);
      case 'hang':
        return; // never answers; the socket is destroyed on close()
      case 'slow_drip': {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        const body = JSON.stringify({ status: '0', reason: 'success', balance: '1.0', gift: '0', credit: '0' });
        let sent = 0;
        const drip = (): void => {
          if (res.destroyed || sent >= body.length) return void res.end();
          res.write(body[sent++]);
          later(500, drip);
        };
        return drip();
      }
      case 'reset':
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': '200' });
        res.write('{"status":"0","reason":"succ');
        return void later(20, () => res.socket?.destroy());
      case 'redirect':
        return void res.writeHead(302, { Location: options.redirectTo ?? 'http://127.0.0.1:9/sms/getBalance' }).end();
      default:
        return sendJson(res, {
          status: '0',
          reason: 'success',
          balance: currentBalance(state).toFixed(6),
          gift: state.gift.toFixed(5),
          credit: String(state.credit),
        });
    }
  };

  const update = (apiKey: string, patch: AccountPatch): void => {
    const state = accounts.get(apiKey);
    if (!state) throw new Error(`simulator has no account with that key`);
    state.balance = patch.balance ?? currentBalance(state);
    state.since = now();
    if (patch.gift !== undefined) state.gift = patch.gift;
    if (patch.credit !== undefined) state.credit = patch.credit;
    if (patch.spendPerHour !== undefined) state.spendPerHour = patch.spendPerHour;
    if (patch.apiSecret !== undefined) state.apiSecret = patch.apiSecret;
    if (patch.failStatus !== undefined) {
      if (patch.failStatus === null) delete state.failStatus;
      else state.failStatus = patch.failStatus;
    }
    if (patch.fault !== undefined) {
      if (patch.fault === null) delete state.fault;
      else state.fault = patch.fault;
    }
  };

  const control = (req: IncomingMessage, res: ServerResponse, path: string): void => {
    const match = /^\/_sim\/accounts\/([^/]+)$/.exec(path);
    if (req.method === 'GET' && path === '/_sim/accounts') {
      const list = [...accounts.values()].map((s) => ({
        apiKey: s.apiKey,
        balance: currentBalance(s),
        gift: s.gift,
        credit: s.credit,
        spendPerHour: s.spendPerHour,
        failStatus: s.failStatus ?? null,
        fault: s.fault ?? null,
        requests: counts.get(s.apiKey) ?? 0,
      }));
      return void res
        .writeHead(200, { 'Content-Type': 'application/json' })
        .end(JSON.stringify({ requests: total, accounts: list }));
    }
    if (req.method === 'PUT' && match) {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (body += chunk));
      req.on('end', () => {
        try {
          const patch = JSON.parse(body) as AccountPatch;
          if (patch.fault && !FAULTS.includes(patch.fault))
            throw new Error(`unknown fault; expected one of ${FAULTS.join(', ')}`);
          update(decodeURIComponent(match[1] as string), patch);
          res.writeHead(204).end();
        } catch (error) {
          res.writeHead(400, { 'Content-Type': 'text/plain' }).end(`${(error as Error).message}\n`);
        }
      });
      return;
    }
    res.writeHead(404).end();
  };

  const server: Server = createServer((req, res) => {
    // Dates come from the simulator's clock, so a test that moves it sees the skew in the Date header.
    res.setHeader('Date', new Date(now()).toUTCString());
    const path = (req.url ?? '/').split('?')[0] as string;
    if (path.startsWith('/_sim/')) return control(req, res, path);
    if (path !== '/sms/getBalance') return void res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
    const key = req.headers['api-key'];
    total++;
    if (typeof key === 'string') counts.set(key, (counts.get(key) ?? 0) + 1);
    const state = typeof key === 'string' ? accounts.get(key) : undefined;
    if (options.latencyMs) later(options.latencyMs, () => answer(req, res, state));
    else answer(req, res, state);
  });
  server.keepAliveTimeout = 30_000;
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;

  return {
    url,
    baseUrl: `${url}/sms`,
    update,
    balanceOf: (apiKey) => {
      const state = accounts.get(apiKey);
      if (!state) throw new Error('simulator has no account with that key');
      return currentBalance(state);
    },
    requestCount: (apiKey) => (apiKey === undefined ? total : (counts.get(apiKey) ?? 0)),
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}
