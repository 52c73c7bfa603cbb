import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BALANCE_FAULT_ANSWERS } from './balance-answers';
import { controlRoute } from './control';
import { sendJson, sendStatus, signatureFailure } from './respond';
import { answerQueryPage, readBody, readQueryPageBody } from './numbers';
import {
  AccountBook,
  Resources,
  type AccountPatch,
  type AccountState,
  type LoggedRequest,
  type SimulatedAccount,
} from './state';

export type { AccountPatch, Fault, SimulatedAccount, SimulatedNumber } from './state';

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
  /** The API base URL to configure in the exporter: `${url}/sms` (its numbers root is `${url}`). */
  baseUrl: string;
  /** A white-label twin's base URL, `${url}/v3`: getBalance and number/queryPage both hang off it. */
  whiteLabelBaseUrl: string;
  update(apiKey: string, patch: AccountPatch): void;
  balanceOf(apiKey: string): number;
  /** getBalance requests received, per API key and in all. */
  requestCount(apiKey?: string): number;
  /** number/queryPage requests received for an API key. */
  numbersRequestCount(apiKey: string): number;
  /** Every API request (getBalance and queryPage) received, oldest first; the last 10,000. */
  requestLog(): LoggedRequest[];
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

const BALANCE_PATHS = new Set(['/sms/getBalance', '/v3/getBalance']);
const NUMBERS_PATHS = new Set(['/number/queryPage', '/v3/number/queryPage']);

function logEntry(context: Context, req: IncomingMessage, path: string, state?: AccountState): LoggedRequest {
  const key = req.headers['api-key'];
  const signed = !signatureFailure(req, state, context.book.now(), context.options.timestampWindowSeconds ?? 1800);
  return {
    at: context.book.now(),
    method: req.method ?? '',
    path,
    ...(typeof key === 'string' ? { apiKey: key } : {}),
    signed,
    ...(req.headers['content-type'] ? { contentType: req.headers['content-type'] } : {}),
  };
}

/** After the configured latency, if any. */
function afterLatency(context: Context, answer: () => void): void {
  const { latencyMs } = context.options;
  if (latencyMs) context.resources.later(latencyMs, answer);
  else answer();
}

function handleBalance(context: Context, req: IncomingMessage, res: ServerResponse, path: string): void {
  const key = req.headers['api-key'];
  context.book.count(key);
  const state = typeof key === 'string' ? context.book.accounts.get(key) : undefined;
  context.book.record(logEntry(context, req, path, state));
  afterLatency(context, () => answerBalance(context, req, res, state));
}

function handleNumbers(context: Context, req: IncomingMessage, res: ServerResponse, path: string): void {
  const { book, options, resources } = context;
  if (req.method !== 'POST') return void res.writeHead(405, { Allow: 'POST', 'Content-Type': 'text/plain' }).end();
  const key = req.headers['api-key'];
  book.countNumbers(key);
  const state = typeof key === 'string' ? book.accounts.get(key) : undefined;
  readBody(req, (text) => {
    let body: unknown;
    try {
      body = JSON.parse(text ?? '');
    } catch {
      body = text;
    }
    book.record({ ...logEntry(context, req, path, state), body });
    afterLatency(context, () => {
      const failure = signatureFailure(req, state, book.now(), options.timestampWindowSeconds ?? 1800);
      if (failure || !state) return sendStatus(res, failure ?? '-1');
      const query = readQueryPageBody(text ?? '');
      if (!query) return sendStatus(res, '-22');
      answerQueryPage(res, state, query, { resources, redirectTo: options.redirectTo, now: book.now });
    });
  });
}

function handleRequest(context: Context, req: IncomingMessage, res: ServerResponse): void {
  const { book } = context;
  // Dates come from the simulator's clock, so a test that moves it sees the skew in the Date header.
  res.setHeader('Date', new Date(book.now()).toUTCString());
  const path = (req.url ?? '/').split('?')[0] as string;
  if (path.startsWith('/_sim/')) return controlRoute(book, req, res, path);
  if (BALANCE_PATHS.has(path)) return handleBalance(context, req, res, path);
  if (NUMBERS_PATHS.has(path)) return handleNumbers(context, req, res, path);
  res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
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
    whiteLabelBaseUrl: `${url}/v3`,
    update: (apiKey, patch) => book.update(apiKey, patch),
    balanceOf: (apiKey) => book.currentBalance(book.get(apiKey)),
    requestCount: (apiKey) => (apiKey === undefined ? book.total : (book.counts.get(apiKey) ?? 0)),
    numbersRequestCount: (apiKey) => book.numbersCounts.get(apiKey) ?? 0,
    requestLog: () => [...book.log],
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        resources.release();
      }),
  };
}
