import { Writable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Registry } from 'prom-client';
import type { Account } from '../src/config/account';
import { AccountStore } from '../src/store/account-store';
import { BalanceCollector } from '../src/metrics/collector';
import { createBalanceClient } from '../src/itnio/client';
import { createLogger } from '../src/log/logger';
import { createProcessRegistry, MetricsRenderer } from '../src/metrics/exposition';
import { logPollResult } from '../src/polling/poll-log';
import { BALANCE_POLL, balancePollKind } from '../src/polling/balance-kind';
import { Poller, type PollResult } from '../src/polling/poller';
import { startSimulator, type AccountPatch } from '../src/simulator/simulator';
import { MIB, readFlags } from './stats';

export interface SoakOptions {
  /** Failing polls measured, after the warm-up. */
  polls: number;
  /**
   * Polls before the baseline heap sample, so start-up, JIT warm-up and the bounded set of status
   * labels do not count as growth; default one full rotation through every failure mode.
   */
  warmupPolls?: number;
  sampleEvery: number;
  /** Failure mode changes every this many polls. */
  rotateEvery: number;
  maxGrowthBytes: number;
}

export interface HeapSample {
  poll: number;
  heapUsed: number;
}

export interface SoakResult {
  options: SoakOptions;
  /** Every poll made, warm-up included. */
  polls: number;
  /** getBalance requests the collector counted. */
  requests: number;
  /** Polls counted by the collector as failed (API error or request failure): should equal `polls`. */
  failedPolls: number;
  successes: number;
  samples: HeapSample[];
  baselineBytes: number;
  finalBytes: number;
  growthBytes: number;
  maxGrowthBytes: number;
  /** Least-squares slope of heap over polls after the warm-up. */
  bytesPerPoll: number;
  seconds: number;
  ok: boolean;
}

const KEY = 'soakKey1';
const SECRET = 'soak-secret-31d7';

/** Fast failures of every kind; unknown status codes outnumber the collector's label bound on purpose. */
const FAILURES: AccountPatch[] = [
  { fault: 'http500' },
  { fault: 'http429' },
  { fault: 'html' },
  { fault: 'truncated' },
  { fault: 'empty' },
  { fault: 'missing_field' },
  { fault: 'not_a_number' },
  { fault: 'redirect' },
  ...['-1', '-2', '-13', '-15', '-16', '-18'].map((failStatus) => ({ failStatus })),
  ...Array.from({ length: 40 }, (_, i) => ({ failStatus: String(-100 - i) })),
];

/** global.gc under --expose-gc; otherwise switched on at run time (so the jest smoke test can use it too). */
function collectGarbage(): () => void {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (exposed) return exposed;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

async function settledHeap(gc: () => void): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setImmediate(r));
  }
  return process.memoryUsage().heapUsed;
}

function slope(samples: readonly HeapSample[]): number {
  const n = samples.length;
  if (n < 2) return 0;
  const mx = samples.reduce((s, p) => s + p.poll, 0) / n;
  const my = samples.reduce((s, p) => s + p.heapUsed, 0) / n;
  const num = samples.reduce((s, p) => s + (p.poll - mx) * (p.heapUsed - my), 0);
  const den = samples.reduce((s, p) => s + (p.poll - mx) ** 2, 0);
  return den === 0 ? 0 : num / den;
}

/**
 * Drives the exporter's poll path (client → poller → collector, status store, warn logs,
 * /metrics rendering) in this process against the simulator, every poll failing, and
 * samples the heap after full garbage collections.
 */
export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const gc = collectGarbage();
  const warmup = options.warmupPolls ?? FAILURES.length * options.rotateEvery;
  const total = warmup + options.polls;
  const simulator = await startSimulator({
    accounts: [{ apiKey: KEY, apiSecret: SECRET, balance: 10, gift: 0, credit: 0, spendPerHour: 0 }],
  });
  const account: Account = { name: 'soak', apiKey: KEY, apiSecret: SECRET, baseUrl: simulator.baseUrl };
  let logBytes = 0;
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logBytes += chunk.length;
      done();
    },
  });
  const logger = createLogger('info', sink);
  const registry = new Registry();
  const statuses = new AccountStore({ accounts: [account], maxAgeMs: 3_600_000 });
  const collector = new BalanceCollector({ registry, store: statuses, maxAgeMs: 3_600_000, version: 'soak' });
  const renderer = new MetricsRenderer(collector, createProcessRegistry());
  let successes = 0;
  const poller = new Poller({
    kinds: [balancePollKind(createBalanceClient({ timeoutMs: 5000 }))],
    concurrency: 1,
    onResult: (result) => {
      if (result.outcome.kind === 'success') successes++;
      statuses.record(result);
      logPollResult(logger, result as PollResult);
    },
  });
  const samples: HeapSample[] = [];
  const started = performance.now();
  try {
    let baseline = NaN;
    for (let poll = 0; poll < total; poll++) {
      if (poll % options.rotateEvery === 0) {
        simulator.update(KEY, {
          fault: null,
          failStatus: null,
          ...FAILURES[(poll / options.rotateEvery) % FAILURES.length],
        });
      }
      if (poll >= warmup && (poll - warmup) % options.sampleEvery === 0) {
        const heapUsed = await settledHeap(gc);
        if (poll === warmup) baseline = heapUsed;
        samples.push({ poll, heapUsed });
      }
      await poller.poll(BALANCE_POLL, statuses.targets());
      // A scrape now and then, as Prometheus would do between polls.
      if (poll % 10 === 0) await renderer.render();
    }
    const finalBytes = await settledHeap(gc);
    samples.push({ poll: total, heapUsed: finalBytes });
    const text = await registry.metrics();
    const sum = (name: string): number =>
      [...text.matchAll(new RegExp(`^${name}\\{[^}]*\\} (\\S+)$`, 'gm'))].reduce((s, m) => s + Number(m[1]), 0);
    const failedPolls = sum('itniotech_api_errors_total') + sum('itniotech_request_failures_total');
    const requests = sum('itniotech_requests_total');
    const growthBytes = finalBytes - baseline;
    const maxGrowthBytes = Math.max(...samples.map((s) => s.heapUsed - baseline));
    if (logBytes === 0) throw new Error('no log lines were written: the warn path was not exercised');
    return {
      options: { ...options, warmupPolls: warmup },
      polls: total,
      requests,
      failedPolls,
      successes,
      samples,
      baselineBytes: baseline,
      finalBytes,
      growthBytes,
      maxGrowthBytes,
      bytesPerPoll: slope(samples),
      seconds: Math.round((performance.now() - started) / 100) / 10,
      ok: successes === 0 && requests === total && failedPolls === total && growthBytes < options.maxGrowthBytes,
    };
  } finally {
    poller.stop();
    await simulator.close();
  }
}

async function main(): Promise<number> {
  const flags = readFlags(process.argv.slice(2), {
    polls: 20_000,
    warmup: -1,
    'sample-every': 1000,
    'rotate-every': 100,
    'max-growth-mib': 0.75,
  });
  const result = await runSoak({
    polls: flags.polls,
    ...(flags.warmup >= 0 ? { warmupPolls: flags.warmup } : {}),
    sampleEvery: flags['sample-every'],
    rotateEvery: flags['rotate-every'],
    maxGrowthBytes: flags['max-growth-mib'] * MIB,
  });
  const mib = (n: number): string => (n / MIB).toFixed(2);
  for (const s of result.samples)
    process.stdout.write(`poll ${String(s.poll).padStart(6)}  heapUsed ${mib(s.heapUsed)} MiB\n`);
  process.stdout.write(
    `${result.polls} polls in ${result.seconds}s, ${result.failedPolls} counted as failed, ${result.successes} succeeded; ` +
      `heap after GC ${mib(result.baselineBytes)} MiB after ${result.options.warmupPolls} warm-up polls -> ${mib(result.finalBytes)} MiB after ${flags.polls} more: ` +
      `growth ${mib(result.growthBytes)} MiB (bound ${flags['max-growth-mib']} MiB), peak growth ${mib(result.maxGrowthBytes)} MiB, ` +
      `slope ${result.bytesPerPoll.toFixed(1)} bytes/poll: ${result.ok ? 'OK' : 'FAILED'}\n`,
  );
  return result.ok ? 0 : 1;
}

if (require.main === module) {
  main().then(
    (code) => (process.exitCode = code),
    (error: unknown) => {
      process.stderr.write(`soak: ${error instanceof Error ? error.stack : String(error)}\n`);
      process.exitCode = 2;
    },
  );
}
