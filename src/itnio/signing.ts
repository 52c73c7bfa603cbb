import { createHash } from 'node:crypto';

/** `Sign = md5(apiKey + apiSecret + timestamp)`, lowercase hex (ITNIO API documentation). */
export function signRequest(apiKey: string, apiSecret: string, timestamp: string): string {
  return createHash('md5')
    .update(apiKey + apiSecret + timestamp, 'utf8')
    .digest('hex');
}

/** The header set every ITNIO request needs; `nowMs` is turned into Unix seconds. */
export function buildSignedHeaders(apiKey: string, apiSecret: string, nowMs: number): Record<string, string> {
  const timestamp = String(Math.floor(nowMs / 1000));
  return {
    'Api-Key': apiKey,
    Timestamp: timestamp,
    Sign: signRequest(apiKey, apiSecret, timestamp),
    'Content-Type': 'application/json;charset=UTF-8',
  };
}

/** Joins a base URL and a path with exactly one slash between them. */
export function joinUrl(baseUrl: string, path: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}
