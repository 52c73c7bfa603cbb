import type { ServerResponse } from 'node:http';
import { sendJson } from './respond';
import type { Fault, Resources } from './state';

interface FaultContext {
  resources: Resources;
  /** Where the "redirect" fault points. */
  redirectTo: string | undefined;
}

/** getBalance's answer for each way an account can be told to misbehave. */
export const BALANCE_FAULT_ANSWERS: Record<Fault, (res: ServerResponse, context: FaultContext) => void> = {
  http500: (res) => void res.writeHead(500, { 'Content-Type': 'text/plain' }).end('internal server error'),
  http429: (res) => void res.writeHead(429, { 'Retry-After': '60' }).end('too many requests'),
  html: (res) => void res.writeHead(200, { 'Content-Type': 'text/html' }).end('<html><body>Bad gateway</body></html>'),
  truncated: (res) =>
    void res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"status":"0","reason":"success","bala'),
  empty: (res) => void res.writeHead(200).end(),
  missing_field: (res) => sendJson(res, { status: '0', reason: 'success', balance: '1.000000', gift: '0.00000' }),
  not_a_number: (res) =>
    sendJson(res, { status: '0', reason: 'success', balance: 'N/A', gift: '0.00000', credit: '0' }),
  huge: (res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(`{"status":"0","pad":"${'x'.repeat(8 * 1024 * 1024)}"}`);
  },
  hang: () => undefined, // never answers; the socket is destroyed on close()
  slow_drip: (res, { resources }) =>
    slowDrip(
      res,
      resources,
      JSON.stringify({ status: '0', reason: 'success', balance: '1.0', gift: '0', credit: '0' }),
    ),
  reset: (res, { resources }) => {
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': '200' });
    res.write('{"status":"0","reason":"succ');
    resources.later(20, () => res.socket?.destroy());
  },
  redirect: (res, { redirectTo }) =>
    void res.writeHead(302, { Location: redirectTo ?? 'http://127.0.0.1:9/sms/getBalance' }).end(),
};

/** A valid body, one byte every half second. */
export function slowDrip(res: ServerResponse, resources: Resources, body: string): void {
  res.writeHead(200, { 'Content-Type': 'application/json' });
  let sent = 0;
  const drip = (): void => {
    if (res.destroyed || sent >= body.length) return void res.end();
    res.write(body[sent++]);
    resources.later(500, drip);
  };
  drip();
}
