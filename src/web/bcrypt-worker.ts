import { Worker } from 'node:worker_threads';

export type PasswordVerifier = (password: string, hash: string) => Promise<boolean>;

/** A verifier that holds a thread until closed. */
export type ClosableVerifier = PasswordVerifier & { close(): Promise<void> };

// Runs in the worker: bcryptjs is pure JavaScript, ~100 ms of CPU per check at cost 10, which on
// the main thread would stall every scrape for that long.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const bcrypt = require(workerData.bcryptjs);
parentPort.on('message', ({ id, password, hash }) => {
  let ok = false;
  try { ok = bcrypt.compareSync(password, hash); } catch { ok = false; }
  parentPort.postMessage({ id, ok });
});
`;

/**
 * bcrypt checks on a worker thread, started on first use and not keeping the process alive.
 * Checks run one after another there; callers limit how many they hand over at once.
 */
export function workerVerifier(): ClosableVerifier {
  let worker: Worker | undefined;
  let nextId = 0;
  const pending = new Map<number, (ok: boolean) => void>();
  const start = (): Worker => {
    const w = new Worker(WORKER_SOURCE, { eval: true, workerData: { bcryptjs: require.resolve('bcryptjs') } });
    w.on('message', ({ id, ok }: { id: number; ok: boolean }) => {
      pending.get(id)?.(ok);
      pending.delete(id);
      // Held only while a check is under way, so an idle worker never keeps the process alive.
      if (pending.size === 0) w.unref();
    });
    // A dead worker refuses what it held; the next check starts a new one.
    w.on('error', () => undefined);
    w.on('exit', () => {
      worker = undefined;
      for (const settle of pending.values()) settle(false);
      pending.clear();
    });
    return w;
  };
  const verify: PasswordVerifier = (password, hash) =>
    new Promise<boolean>((resolve) => {
      worker ??= start();
      const id = nextId++;
      pending.set(id, resolve);
      worker.ref();
      worker.postMessage({ id, password, hash });
    });
  // Ends the thread; a check under way is refused ('exit' above), a later one starts a new thread.
  const close = async (): Promise<void> => void (await worker?.terminate());
  return Object.assign(verify, { close });
}
