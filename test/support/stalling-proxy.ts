import { connect, createServer, type AddressInfo, type Socket } from 'node:net';

/**
 * A forward proxy on 127.0.0.1 that first accepts connections and never answers (a hung proxy),
 * and after `recover()` answers CONNECT like a real one: "200" and a tunnel to the target.
 * `closeDuringConnect()` makes it hang up on each CONNECT instead, and `answerPlainText()` answers
 * "400" in plain text to whatever arrives first (a TLS handshake, for an https:// proxy URL).
 */
export interface StallingProxy {
  url: string;
  port: number;
  /** Connections open right now. */
  openConnections(): number;
  /** Connections accepted so far. */
  accepted(): number;
  recover(): void;
  closeDuringConnect(): void;
  answerPlainText(): void;
  close(): Promise<void>;
}

export async function startStallingProxy(): Promise<StallingProxy> {
  let mode: 'stall' | 'answer' | 'hang-up' | 'plain-text' = 'stall';
  let accepted = 0;
  const open = new Set<Socket>();
  const tunnel = (client: Socket, head: string, rest: Buffer): void => {
    const target = /^CONNECT ([^\s:]+):(\d+) /.exec(head);
    if (!target) return void client.end('HTTP/1.1 400 Bad Request\r\n\r\n');
    const upstream = connect(Number(target[2]), target[1], () => {
      client.write('HTTP/1.1 200 Connection established\r\n\r\n');
      if (rest.length > 0) upstream.write(rest);
      client.pipe(upstream).pipe(client);
    });
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
  };
  const server = createServer((client) => {
    accepted++;
    open.add(client);
    client.on('close', () => open.delete(client));
    client.on('error', () => undefined);
    let buffered = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      buffered = Buffer.concat([buffered, chunk]);
      if (mode === 'plain-text') return void client.end('HTTP/1.1 400 Bad Request\r\n\r\n');
      const end = buffered.indexOf('\r\n\r\n');
      if (end < 0 || mode === 'stall') return;
      client.off('data', onData);
      if (mode === 'hang-up') return void client.destroy();
      tunnel(client, buffered.subarray(0, end).toString('latin1'), buffered.subarray(end + 4));
    };
    client.on('data', onData);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    openConnections: () => open.size,
    accepted: () => accepted,
    recover: () => void (mode = 'answer'),
    closeDuringConnect: () => void (mode = 'hang-up'),
    answerPlainText: () => void (mode = 'plain-text'),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
