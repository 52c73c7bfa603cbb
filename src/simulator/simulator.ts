import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BALANCE_FAULT_ANSWERS } from './balance-answers';
import { controlRoute } from './control';
import { sendJson, sendStatus, signatureFailure } from './respond';
import { AccountBook, Resources, type AccountPatch, type AccountState, type SimulatedAccount } from './state';

export type { AccountPatch, Fault, SimulatedAccount } from './state';

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

interface Context {
  options: SimulatorOptions;
  book: AccountBook;
  resources: Resources;
}

function answerBalance(context: Context, req: IncomingMessage, res: ServerResponse, state?: AccountState): void {
  const { book, options, resources } = context;
  const failure = signatureFailure(req, state, book.now(), options.timestampWindowSeconds ?? 1800);
  if (failure || !state) return sendStatus(res, failure ?? '-1');
  if (state.failStatus) return sendStatus(res, state.failStatus);
  if (state.fault) return BALANCE_FAULT_ANSWERS[state.fault](res, { resources, redirectTo: options.redirectTo });
  sendJson(res, {
    status: '0',
    reason: 'success',
    balance: book.currentBalance(state).toFixed(6),
    gift: state.gift.toFixed(5),
    credit: String(state.credit),
  });
}

function handleRequest(context: Context, req: IncomingMessage, res: ServerResponse): void {
  const { book, options, resources } = context;
  // Dates come from the simulator's clock, so a test that moves it sees the skew in the Date header.
  res.setHeader('Date', new Date(book.now()).toUTCString());
  const path = (req.url ?? '/').split('?')[0] as string;
  if (path.startsWith('/_sim/')) return controlRoute(book, req, res, path);
  if (path !== '/sms/getBalance') return void res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
  const key = req.headers['api-key'];
  book.count(key);
  const state = typeof key === 'string' ? book.accounts.get(key) : undefined;
  if (options.latencyMs) resources.later(options.latencyMs, () => answerBalance(context, req, res, state));
  else answerBalance(context, req, res, state);
}

async function listen(server: Server, options: SimulatorOptions): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}

export async function startSimulator(options: SimulatorOptions): Promise<Simulator> {
  const book = new AccountBook(options.accounts, options.now ?? Date.now);
  const resources = new Resources();
  const context: Context = { options, book, resources };
  const server = createServer((req, res) => handleRequest(context, req, res));
  server.keepAliveTimeout = 30_000;
  server.on('connection', (socket) => {
    resources.sockets.add(socket);
    socket.on('close', () => resources.sockets.delete(socket));
  });
  const url = await listen(server, options);
  return {
    url,
    baseUrl: `${url}/sms`,
    update: (apiKey, patch) => book.update(apiKey, patch),
    balanceOf: (apiKey) => book.currentBalance(book.get(apiKey)),
    requestCount: (apiKey) => (apiKey === undefined ? book.total : (book.counts.get(apiKey) ?? 0)),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        resources.release();
      }),
  };
}
