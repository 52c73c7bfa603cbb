import type { IncomingMessage, ServerResponse } from 'node:http';
import { FAULTS, NUMBERS_FAULTS, type AccountBook, type AccountPatch, type NumbersFault } from './state';

/** `GET /_sim/accounts` and `PUT /_sim/accounts/{apiKey}`: the simulator's own control routes. */
export function controlRoute(book: AccountBook, req: IncomingMessage, res: ServerResponse, path: string): void {
  const match = /^\/_sim\/accounts\/([^/]+)$/.exec(path);
  if (req.method === 'GET' && path === '/_sim/accounts') return listAccounts(book, res);
  if (req.method === 'GET' && path === '/_sim/requests') {
    return void res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ requests: book.log }));
  }
  if (req.method === 'PUT' && match) return patchAccount(book, req, res, decodeURIComponent(match[1] as string));
  res.writeHead(404).end();
}

function listAccounts(book: AccountBook, res: ServerResponse): void {
  const list = [...book.accounts.values()].map((s) => ({
    apiKey: s.apiKey,
    balance: book.currentBalance(s),
    gift: s.gift,
    credit: s.credit,
    spendPerHour: s.spendPerHour,
    failStatus: s.failStatus ?? null,
    fault: s.fault ?? null,
    requests: book.counts.get(s.apiKey) ?? 0,
    numbers: s.numbers?.length ?? 0,
    numbersFailStatus: s.numbersFailStatus ?? null,
    numbersFault: s.numbersFault ?? null,
    numbersRequests: book.numbersCounts.get(s.apiKey) ?? 0,
  }));
  res
    .writeHead(200, { 'Content-Type': 'application/json' })
    .end(JSON.stringify({ requests: book.total, accounts: list }));
}

function patchAccount(book: AccountBook, req: IncomingMessage, res: ServerResponse, apiKey: string): void {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (chunk: string) => (body += chunk));
  req.on('end', () => {
    try {
      const patch = JSON.parse(body) as AccountPatch;
      if (patch.fault && !FAULTS.includes(patch.fault))
        throw new Error(`unknown fault; expected one of ${FAULTS.join(', ')}`);
      const numbersFaults: readonly NumbersFault[] = [...FAULTS, ...NUMBERS_FAULTS];
      if (patch.numbersFault && !numbersFaults.includes(patch.numbersFault))
        throw new Error(`unknown numbersFault; expected one of ${numbersFaults.join(', ')}`);
      book.update(apiKey, patch);
      res.writeHead(204).end();
    } catch (error) {
      res.writeHead(400, { 'Content-Type': 'text/plain' }).end(`${(error as Error).message}\n`);
    }
  });
}
