import { Worker } from 'node:worker_threads';
import { quantile } from './stats';

export interface ProbeResult {
  /** Probes sent, each on a new connection. */
  count: number;
  /** Probes without a 200 within the timeout, by cause. */
  failed: Record<string, number>;
  latencyMs: { p50: number; p99: number; max: number };
}

export interface Probe {
  stop(): Promise<ProbeResult>;
}

// In a worker thread: its own event loop, so a busy load generator does not delay the probe's
// timers or reads and inflate what it measures.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { request } = require('node:http');
const url = new URL(workerData.url);
let stopping = false;
parentPort.on('message', () => { stopping = true; });
function once() {
  return new Promise((resolve) => {
    const sent = performance.now();
    const done = (outcome) => resolve({ ms: performance.now() - sent, outcome });
    const req = request({ hostname: url.hostname, port: url.port, path: url.pathname, agent: false, timeout: workerData.timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => done(res.statusCode === 200 ? 'ok' : 'HTTP ' + res.statusCode));
      res.on('error', (e) => done(e.code || e.message));
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'timeout' })));
    req.on('error', (e) => done(e.code || e.message));
    req.end();
  });
}
(async () => {
  while (!stopping) {
    const started = performance.now();
    parentPort.postMessage(await once());
    await new Promise((r) => setTimeout(r, Math.max(0, workerData.everyMs - (performance.now() - started))));
  }
  parentPort.postMessage('done');
})();
`;

/** GETs `url` on a new connection every `everyMs` until stopped, timing each answer. */
export function startNewConnectionProbe(url: string, everyMs: number, timeoutMs: number): Probe {
  const worker = new Worker(WORKER, { eval: true, workerData: { url, everyMs, timeoutMs } });
  const samples: Array<{ ms: number; outcome: string }> = [];
  const finished = new Promise<void>((resolve) => {
    worker.on('message', (message: { ms: number; outcome: string } | 'done') => {
      if (message === 'done') resolve();
      else samples.push(message);
    });
  });
  return {
    async stop() {
      worker.postMessage('stop');
      await finished;
      await worker.terminate();
      const failed: Record<string, number> = {};
      for (const s of samples) if (s.outcome !== 'ok') failed[s.outcome] = (failed[s.outcome] ?? 0) + 1;
      const sorted = Float64Array.from(samples.filter((s) => s.outcome === 'ok').map((s) => s.ms)).sort();
      const round = (n: number): number => Math.round(n * 10) / 10;
      return {
        count: samples.length,
        failed,
        latencyMs: {
          p50: round(quantile(sorted, 0.5)),
          p99: round(quantile(sorted, 0.99)),
          max: round(quantile(sorted, 1)),
        },
      };
    },
  };
}
