import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A loopback port that was free a moment ago, for a process that cannot be given port 0. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
