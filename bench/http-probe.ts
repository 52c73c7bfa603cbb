import { connect } from 'node:net';
import { gunzipSync } from 'node:zlib';

export interface ProbeResponse {
  status: number;
  headers: Record<string, string>;
  /** The body as sent (compressed if the server compressed it). */
  rawBody: Buffer;
  /** The body after undoing Content-Encoding gzip. */
  text: string;
  /** Every byte the server sent: status line, headers and body. */
  wireBytes: number;
}

/**
 * One HTTP/1.1 GET over a fresh connection, counting the bytes on the wire. Reads until the
 * server closes (Connection: close), so it needs no chunked-decoding beyond the simple case.
 */
export function probe(url: string, headers: Readonly<Record<string, string>> = {}): Promise<ProbeResponse> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: target.hostname, port: Number(target.port) });
    const chunks: Buffer[] = [];
    socket.setTimeout(30_000, () => socket.destroy(new Error(`no answer from ${url} within 30 s`)));
    socket.on('connect', () => {
      const lines = [`GET ${target.pathname}${target.search} HTTP/1.1`, `Host: ${target.host}`, 'Connection: close'];
      for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
      socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    });
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('end', () => {
      try {
        resolve(parseRawResponse(Buffer.concat(chunks)));
      } catch (error) {
        reject(error);
      }
    });
  });
}

function dechunk(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = body.indexOf('\r\n', at);
    if (lineEnd < 0) throw new Error('truncated chunked body');
    const size = parseInt(body.subarray(at, lineEnd).toString('latin1'), 16);
    if (size === 0) return Buffer.concat(parts);
    parts.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
}

function parseRawResponse(raw: Buffer): ProbeResponse {
  const headEnd = raw.indexOf('\r\n\r\n');
  if (headEnd < 0) throw new Error('response has no header end');
  const [statusLine = '', ...headerLines] = raw.subarray(0, headEnd).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1]);
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let rawBody = raw.subarray(headEnd + 4);
  if (headers['transfer-encoding'] === 'chunked') rawBody = dechunk(rawBody);
  const text = (headers['content-encoding'] === 'gzip' ? gunzipSync(rawBody) : rawBody).toString('utf8');
  return { status, headers, rawBody, text, wireBytes: raw.length };
}
