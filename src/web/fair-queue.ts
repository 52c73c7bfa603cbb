import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export interface FairQueueOptions {
  /** How long queued requests are served before the event loop gets a turn; default 5 ms. */
  sliceMs?: number;
}

/**
 * Serves the first request on each connection at once, and queues the requests that follow
 * on kept-alive connections, serving the queue in slices with a turn of the event loop between
 * them. Node accepts connections and reads requests only between turns, so under a flood of
 * kept-alive clients a new connection (a liveness probe, a scraper that reconnects) used to
 * wait for a whole round of the flood twice, once to be accepted and once to be read. The
 * flood is served as much as before, in the order it came.
 */
export function fairRequestListener(listener: RequestListener, options: FairQueueOptions = {}): RequestListener {
  const sliceMs = options.sliceMs ?? 5;
  const served = new WeakSet<Socket>();
  let queue: Array<[IncomingMessage, ServerResponse]> = [];
  let next = 0;
  let scheduled = false;

  const serveSlice = (): void => {
    scheduled = false;
    const deadline = performance.now() + sliceMs;
    try {
      while (next < queue.length && performance.now() < deadline) {
        const [req, res] = queue[next] as [IncomingMessage, ServerResponse];
        queue[next++] = undefined as never;
        // The client went away while it waited: nothing to answer.
        if (!req.socket.destroyed) listener(req, res);
      }
    } finally {
      if (next < queue.length) schedule();
      else {
        queue = [];
        next = 0;
      }
    }
  };
  const schedule = (): void => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(serveSlice);
  };

  return (req, res) => {
    if (!served.has(req.socket)) {
      served.add(req.socket);
      listener(req, res);
      return;
    }
    queue.push([req, res]);
    schedule();
  };
}
