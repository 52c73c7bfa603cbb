import type { IncomingMessage, ServerResponse } from 'node:http';
import { signRequest } from '../itnio/signing';
import { REASONS, type AccountState } from './state';

export function sendJson(res: ServerResponse, body: unknown): void {
  res.writeHead(200, { 'Content-Type': 'application/json;charset=UTF-8' }).end(JSON.stringify(body));
}

/**
 * The status ITNIO answers a badly signed or stale request with, or undefined when the
 * Api-Key, Sign and Timestamp headers are good for this account.
 */
export function signatureFailure(
  req: IncomingMessage,
  state: AccountState | undefined,
  nowMs: number,
  windowSeconds: number,
): string | undefined {
  const key = req.headers['api-key'];
  const timestamp = req.headers.timestamp;
  const sign = req.headers.sign;
  if (!state || typeof key !== 'string' || typeof sign !== 'string' || typeof timestamp !== 'string') return '-1';
  if (sign !== signRequest(key, state.apiSecret, timestamp)) return '-1';
  if (!/^\d{10}$/.test(timestamp) || Math.abs(Number(timestamp) - nowMs / 1000) > windowSeconds) return '-16';
  return undefined;
}

export function sendStatus(res: ServerResponse, status: string): void {
  sendJson(res, { status, reason: REASONS[status] ?? 'unknown error' });
}
