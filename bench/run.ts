import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { startSimulator, type SimulatedAccount, type Simulator } from '../src/simulator/simulator';
import { probe } from './http-probe';
import { readCpuSeconds, readRssBytes, sampleMaxRss } from './proc';
import { familiesWithPrefix, parseSamples } from './prom-text';
import {
  pushToGateway,
  spawnExporter,
  startPackagesOnly,
  startPlainServer,
  startPushgateway,
  type BenchAccount,
  type ExporterTarget,
  type Target,
} from './targets';
import { PROMETHEUS_SCRAPE_HEADERS, runWrk, type WrkResult } from './wrk';

/** How much to measure. */
export type BenchShape = Omit<BenchOptions, 'wrkBinary' | 'pushgatewayBinary' | 'log'>;

export interface BenchOptions {
  /** Account counts to scrape at. */
  sizes: readonly number[];
  /** Repetitions of each wrk measurement; medians are reported. */
  runs: number;
  durationSeconds: number;
  threads: number;
  connections: number;
  /** Seconds after the idle sample to sample RSS again, once V8 has had time to shrink the heap. */
  settleSeconds: number;
  /** Exporter spawns per size for the start-to-ready figure (median). */
  startRuns: number;
  pollAccounts: number;
  pollLatencyMs: number;
  pollConcurrency: number;
  wrkBinary: string;
  pushgatewayBinary: string;
  log: (line: string) => void;
}

/** One program scraped at one size: medians over the runs, and memory. */
export interface ScrapeFigures {
  target: string;
  requestsPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  /** Bytes of one response as Prometheus requests it (status line and headers included). */
  wireBytes: number;
  /** Bytes of the uncompressed body. */
  textBytes: number;
  contentType: string;
  contentEncoding: string;
  errors: number;
  /** 1.5 s after start-up (the exporter's includes its start-up poll). */
  rssIdleBytes: number;
  /** `settleSeconds` later, still idle. */
  rssSettledBytes: number;
  rssLoadBytes: number;
  runs: WrkResult[];
}

export interface SizeResult {
  accounts: number;
  /** Sample lines of the exporter's own series (process metrics excluded). */
  series: number;
  exporter: ScrapeFigures;
  pushgateway: ScrapeFigures;
  plain: ScrapeFigures;
  /** RSS of Node with the exporter's packages loaded and no exporter code, sampled with the exporter's. */
  packagesOnly: { rssIdleBytes: number; rssSettledBytes: number };
  startToReadyMs: number;
  scrapes: number;
  upstreamRequestsDuringScrapes: number;
}

export const FULL: BenchShape = {
  sizes: [1, 100, 1000],
  runs: 3,
  durationSeconds: 5,
  threads: 2,
  connections: 16,
  // V8's memory reducer first acts about 8 s after a full GC.
  settleSeconds: 15,
  startRuns: 3,
  pollAccounts: 1000,
  pollLatencyMs: 50,
  pollConcurrency: 4,
};

/** Seconds rather than minutes: enough to prove every part still runs. */
export const SMOKE: typeof FULL = {
  ...FULL,
  sizes: [1, 20],
  runs: 1,
  durationSeconds: 1,
  settleSeconds: 1,
  startRuns: 1,
  pollAccounts: 40,
};

export interface PollCycleResult {
  accounts: number;
  latencyMs: number;
  concurrency: number;
  idealSeconds: number;
  wallSeconds: number;
  cpuSeconds: number;
  /** Upstream requests in the scheduled interval: fewest and most of any one account, and in all. */
  requestsPerAccountMin: number;
  requestsPerAccountMax: number;
  requestsInInterval: number;
}

/** Scrapes taken while scheduled poll cycles run, every poll moving the account's balance. */
export interface PollScrapeResult {
  accounts: number;
  latencyMs: number;
  concurrency: number;
  idealSeconds: number;
  /** Seconds between scheduled cycles. */
  intervalSeconds: number;
  /** Medians over the wrk runs, one run per cycle. */
  requestsPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  errors: number;
  /** The largest share of a cycle's upstream requests already sent when its wrk run ended (below 1: every scrape fell inside the cycle). */
  cycleShareAtWrkEnd: number;
  /** Fewest accounts whose exported balance moved across one cycle. */
  balancesChangedMin: number;
  runs: WrkResult[];
  /** The same exporter scraped between cycles right after, as a reference for how busy the machine was. */
  between: WrkResult;
}

export interface BenchResult {
  sizes: SizeResult[];
  poll: PollCycleResult;
  pollScrapes: PollScrapeResult;
}

/** A schedule that does not fire while the benchmark runs (midnight on 1 January). */
const NEVER_DURING_BENCH = '0 0 0 1 1 *';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function benchAccounts(count: number, spendPerHour = 0): { exporter: BenchAccount[]; simulator: SimulatedAccount[] } {
  const exporter: BenchAccount[] = [];
  const simulator: SimulatedAccount[] = [];
  for (let i = 0; i < count; i++) {
    const apiKey = `benchKey${String(i).padStart(4, '0')}`;
    const apiSecret = `bench-secret-${i}`;
    exporter.push({ name: `account-${String(i).padStart(4, '0')}`, apiKey, apiSecret, lowBalanceThreshold: 100 });
    simulator.push({ apiKey, apiSecret, balance: 1000 + i, gift: i % 7, credit: i % 3 === 0 ? 100 : 0, spendPerHour });
  }
  return { exporter, simulator };
}

async function describe(
  target: Target,
): Promise<Pick<ScrapeFigures, 'wireBytes' | 'textBytes' | 'contentType' | 'contentEncoding'> & { text: string }> {
  const response = await probe(`${target.url}${target.metricsPath}`, PROMETHEUS_SCRAPE_HEADERS);
  if (response.status !== 200) throw new Error(`${target.name} answered HTTP ${response.status} to a scrape`);
  return {
    wireBytes: response.wireBytes,
    textBytes: Buffer.byteLength(response.text),
    contentType: response.headers['content-type'] ?? '',
    contentEncoding: response.headers['content-encoding'] ?? 'identity',
    text: response.text,
  };
}

class ScrapeSeries {
  readonly runs: WrkResult[] = [];
  rssLoadBytes = 0;
  rssSettledBytes = 0;
  constructor(
    readonly target: Target,
    readonly shape: Awaited<ReturnType<typeof describe>>,
    readonly rssIdleBytes: number,
  ) {}

  async measure(options: BenchOptions): Promise<WrkResult> {
    const sampler = sampleMaxRss(this.target.pid);
    try {
      const result = await runWrk({
        url: `${this.target.url}${this.target.metricsPath}`,
        durationSeconds: options.durationSeconds,
        threads: options.threads,
        connections: options.connections,
        headers: PROMETHEUS_SCRAPE_HEADERS,
        binary: options.wrkBinary,
      });
      this.runs.push(result);
      return result;
    } finally {
      this.rssLoadBytes = Math.max(this.rssLoadBytes, sampler.stop());
    }
  }

  figures(): ScrapeFigures {
    const { text: _text, ...shape } = this.shape;
    return {
      target: this.target.name,
      requestsPerSecond: median(this.runs.map((r) => r.requestsPerSecond)),
      latencyP50Ms: median(this.runs.map((r) => r.latencyP50Ms)),
      latencyP99Ms: median(this.runs.map((r) => r.latencyP99Ms)),
      ...shape,
      errors: this.runs.reduce((sum, r) => sum + r.errors, 0),
      rssIdleBytes: this.rssIdleBytes,
      rssSettledBytes: this.rssSettledBytes,
      rssLoadBytes: this.rssLoadBytes,
      runs: this.runs,
    };
  }
}

async function benchSize(count: number, options: BenchOptions): Promise<SizeResult> {
  const { log } = options;
  const dir = mkdtempSync(join(tmpdir(), `itnio-bench-${count}-`));
  const accounts = benchAccounts(count);
  const started: Target[] = [];
  let simulator: Simulator | undefined;
  try {
    simulator = await startSimulator({ accounts: accounts.simulator, host: '127.0.0.1', port: 0 });
    const readyTimes: number[] = [];
    let exporter: ExporterTarget | undefined;
    for (let i = 0; i < options.startRuns; i++) {
      if (exporter) await exporter.stop();
      exporter = await spawnExporter({
        dir,
        accounts: accounts.exporter,
        baseUrl: simulator.baseUrl,
        schedule: NEVER_DURING_BENCH,
      });
      readyTimes.push(exporter.startToReadyMs);
    }
    if (!exporter) throw new Error('startRuns must be at least 1');
    started.push(exporter);
    const startToReadyMs = median(readyTimes);
    log(`  ${count} account(s): exporter ready in ${startToReadyMs.toFixed(0)} ms`);

    const exporterShape = await describe(exporter);
    const exporterSeries = familiesWithPrefix(exporterShape.text, 'itniotech_');
    const series = parseSamples(exporterSeries).length;

    const pushgateway = await startPushgateway(options.pushgatewayBinary, dir);
    started.push(pushgateway);
    await pushToGateway(pushgateway.url, exporterSeries);

    const plainText = Buffer.from(exporterShape.text);
    const plain = await startPlainServer(dir, plainText, gzipSync(plainText));
    started.push(plain);
    const packagesOnly = await startPackagesOnly();
    started.push(packagesOnly);

    // Let start-up garbage settle before calling memory idle.
    await sleep(1500);
    const scrapeSeries = [
      new ScrapeSeries(exporter, exporterShape, readRssBytes(exporter.pid)),
      new ScrapeSeries(pushgateway, await describe(pushgateway), readRssBytes(pushgateway.pid)),
      new ScrapeSeries(plain, await describe(plain), readRssBytes(plain.pid)),
    ] as const;
    const packagesIdleBytes = readRssBytes(packagesOnly.pid);
    // A real idle: the start-up garbage left long enough for V8 to give pages back.
    await sleep(options.settleSeconds * 1000);
    for (const s of scrapeSeries) s.rssSettledBytes = readRssBytes(s.target.pid);
    const packagesSettledBytes = readRssBytes(packagesOnly.pid);
    await packagesOnly.stop();

    const upstreamBefore = simulator.requestCount();
    // Interleaved, so drift on the machine touches every program alike.
    for (let run = 1; run <= options.runs; run++) {
      for (const s of scrapeSeries) {
        const result = await s.measure(options);
        log(
          `  ${count} account(s) run ${run}/${options.runs} ${s.target.name}: ${result.requestsPerSecond.toFixed(0)} req/s, p99 ${result.latencyP99Ms.toFixed(2)} ms`,
        );
      }
    }
    const upstreamRequestsDuringScrapes = simulator.requestCount() - upstreamBefore;
    const [e, p, n] = scrapeSeries;
    return {
      accounts: count,
      series,
      exporter: e.figures(),
      pushgateway: p.figures(),
      plain: n.figures(),
      packagesOnly: { rssIdleBytes: packagesIdleBytes, rssSettledBytes: packagesSettledBytes },
      startToReadyMs,
      scrapes: e.runs.reduce((sum, r) => sum + r.requests, 0),
      upstreamRequestsDuringScrapes,
    };
  } finally {
    for (const target of started.reverse()) await target.stop();
    await simulator?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * One scheduled poll of every account against a simulator that answers after `latencyMs`:
 * wall time from the exporter's own timestamps, CPU time from /proc.
 */
async function benchPollCycle(options: BenchOptions): Promise<PollCycleResult> {
  const { pollAccounts: count, pollLatencyMs: latencyMs, pollConcurrency: concurrency, log } = options;
  const dir = mkdtempSync(join(tmpdir(), 'itnio-bench-poll-'));
  const accounts = benchAccounts(count);
  const idealSeconds = (count * latencyMs) / 1000 / concurrency;
  let simulator: Simulator | undefined;
  let exporter: ExporterTarget | undefined;
  try {
    simulator = await startSimulator({ accounts: accounts.simulator, host: '127.0.0.1', port: 0, latencyMs });
    // The start-up poll comes first; schedule the measured one well after it ends.
    const tickAt = Math.ceil((Date.now() + 3000 + idealSeconds * 2000) / 1000) * 1000;
    const second = new Date(tickAt).getSeconds();
    exporter = await spawnExporter({
      dir,
      accounts: accounts.exporter,
      baseUrl: simulator.baseUrl,
      schedule: `${second} * * * * *`,
      concurrency,
      readyTimeoutMs: idealSeconds * 10_000 + 30_000,
    });
    if (Date.now() >= tickAt - 500)
      throw new Error('the start-up poll overran the scheduled one; the poll cycle cannot be measured');
    log(`  poll cycle: ${count} accounts ready after the start-up poll; waiting for the scheduled one`);
    await sleep(tickAt - 500 - Date.now());
    const perKeyBefore = accounts.simulator.map((a) => (simulator as Simulator).requestCount(a.apiKey));
    const totalBefore = simulator.requestCount();
    const cpuBefore = readCpuSeconds(exporter.pid);

    const deadline = Date.now() + idealSeconds * 10_000 + 30_000;
    while (simulator.requestCount() - totalBefore < count) {
      if (Date.now() > deadline)
        throw new Error(
          `the scheduled poll sent ${simulator.requestCount() - totalBefore} of ${count} requests in time`,
        );
      await sleep(20);
    }
    // Answers arrive `latencyMs` after the last request; the renderer may debounce a moment more.
    await sleep(latencyMs + 1500);
    let cpuAfter = readCpuSeconds(exporter.pid);
    let samples = parseSamples((await probe(`${exporter.url}/metrics`)).text);
    const requestsTotal = (): number =>
      samples.filter((s) => s.name === 'itniotech_requests_total').reduce((sum, s) => sum + s.value, 0);
    while (requestsTotal() < 2 * count) {
      if (Date.now() > deadline)
        throw new Error(`the exporter recorded ${requestsTotal()} of ${2 * count} polls in time`);
      await sleep(200);
      cpuAfter = readCpuSeconds(exporter.pid);
      samples = parseSamples((await probe(`${exporter.url}/metrics`)).text);
    }
    const lastSuccess = samples.filter((s) => s.name === 'itniotech_last_success_timestamp_seconds');
    const durations = new Map(
      samples.filter((s) => s.name === 'itniotech_poll_duration_seconds').map((s) => [s.labels.account, s.value]),
    );
    if (lastSuccess.length !== count)
      throw new Error(`only ${lastSuccess.length} of ${count} accounts polled successfully`);
    const starts = lastSuccess.map((s) => s.value - (durations.get(s.labels.account) ?? 0));
    const wallSeconds = Math.max(...lastSuccess.map((s) => s.value)) - Math.min(...starts);
    const perKey = accounts.simulator.map(
      (a, i) => (simulator as Simulator).requestCount(a.apiKey) - (perKeyBefore[i] as number),
    );
    return {
      accounts: count,
      latencyMs,
      concurrency,
      idealSeconds,
      wallSeconds,
      cpuSeconds: cpuAfter - cpuBefore,
      requestsPerAccountMin: Math.min(...perKey),
      requestsPerAccountMax: Math.max(...perKey),
      requestsInInterval: simulator.requestCount() - totalBefore,
    };
  } finally {
    await exporter?.stop();
    await simulator?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Resolves once the simulator has received no request for `quietMs`. */
async function untilQuiet(simulator: Simulator, quietMs: number, deadline: number): Promise<void> {
  let count = simulator.requestCount();
  let since = Date.now();
  while (Date.now() - since < quietMs) {
    if (Date.now() > deadline) throw new Error('the simulator never went quiet: a poll cycle did not end');
    await sleep(20);
    const now = simulator.requestCount();
    if (now !== count) [count, since] = [now, Date.now()];
  }
}

/**
 * Scrapes with wrk while scheduled poll cycles run against a simulator whose balances fall with
 * time, so every poll changes the account's series. One wrk run per cycle, started as soon as
 * the cycle's first request arrives; a run that outlasts its cycle is an error, since its
 * figures would mix in scrapes of an idle exporter.
 */
export async function benchScrapesDuringPoll(options: BenchOptions): Promise<PollScrapeResult> {
  const { pollAccounts: count, pollConcurrency: concurrency, log } = options;
  // The cycle outlasts a wrk run by about 2 s.
  const latencyMs = Math.max(
    options.pollLatencyMs,
    Math.ceil(((options.durationSeconds + 2) * 1000 * concurrency) / count),
  );
  const idealSeconds = (count * latencyMs) / 1000 / concurrency;
  // Cron steps divide the minute; leave room for a cycle slowed down by the scrapes, and for
  // one wrk run between two cycles.
  const intervalSeconds =
    [2, 3, 4, 5, 6, 10, 12, 15, 20, 30].find((s) => s >= idealSeconds * 1.3 + options.durationSeconds + 2) ?? 60;
  const dir = mkdtempSync(join(tmpdir(), 'itnio-bench-poll-scrapes-'));
  // 3600 per hour: every poll sees a balance about 1 lower per second since the last.
  const accounts = benchAccounts(count, 3600);
  let simulator: Simulator | undefined;
  let exporter: ExporterTarget | undefined;
  try {
    simulator = await startSimulator({ accounts: accounts.simulator, host: '127.0.0.1', port: 0, latencyMs });
    const schedule = intervalSeconds === 60 ? '0 * * * * *' : `*/${intervalSeconds} * * * * *`;
    exporter = await spawnExporter({
      dir,
      accounts: accounts.exporter,
      baseUrl: simulator.baseUrl,
      schedule,
      concurrency,
      readyTimeoutMs: idealSeconds * 10_000 + 30_000,
    });
    const metricsUrl = `${exporter.url}${exporter.metricsPath}`;
    const balances = async (): Promise<Map<string, number>> =>
      new Map(
        parseSamples((await probe(metricsUrl, PROMETHEUS_SCRAPE_HEADERS)).text)
          .filter((s) => s.name === 'itniotech_balance')
          .map((s) => [s.labels.account ?? '', s.value]),
      );
    // Longer than any pause between two requests of a cycle, even from an exporter whose event loop stalls.
    const quietMs = 2 * latencyMs + 1000;
    const deadline = Date.now() + (options.runs + 2) * (intervalSeconds + idealSeconds * 3) * 1000 + 30_000;
    // A scheduled cycle may have begun while the start-up poll ran; start from an idle exporter.
    await untilQuiet(simulator, quietMs, deadline);
    let before = await balances();
    const runs: WrkResult[] = [];
    const wrk = (): Promise<WrkResult> =>
      runWrk({
        url: metricsUrl,
        durationSeconds: options.durationSeconds,
        threads: options.threads,
        connections: options.connections,
        headers: PROMETHEUS_SCRAPE_HEADERS,
        binary: options.wrkBinary,
      });
    let cycleShareAtWrkEnd = 0;
    let balancesChangedMin = Infinity;
    for (let run = 1; run <= options.runs; run++) {
      const idle = simulator.requestCount();
      while (simulator.requestCount() === idle) {
        if (Date.now() > deadline) throw new Error('no scheduled poll cycle began in time');
        await sleep(5);
      }
      const result = await wrk();
      const share = (simulator.requestCount() - idle) / count;
      if (share >= 1)
        throw new Error(
          `poll cycle ${run} sent all its ${count} requests before its wrk run ended; the scrapes did not all fall inside it`,
        );
      cycleShareAtWrkEnd = Math.max(cycleShareAtWrkEnd, share);
      runs.push(result);
      while (simulator.requestCount() - idle < count) {
        if (Date.now() > deadline) throw new Error(`poll cycle ${run} did not send its ${count} requests in time`);
        await sleep(20);
      }
      await untilQuiet(simulator, quietMs, deadline);
      const after = await balances();
      const changed = [...after].filter(
        ([account, value]) => before.has(account) && before.get(account) !== value,
      ).length;
      balancesChangedMin = Math.min(balancesChangedMin, changed);
      before = after;
      log(
        `  during poll cycle ${run}/${options.runs}: ${result.requestsPerSecond.toFixed(0)} req/s, p99 ${result.latencyP99Ms.toFixed(2)} ms; wrk ended at ${(share * 100).toFixed(0)}% of the cycle; ${changed} of ${count} balances moved`,
      );
    }
    // Ticks fall on multiples of the interval (UTC seconds); wait for a gap long enough for one run.
    const intervalMs = intervalSeconds * 1000;
    while (Math.ceil(Date.now() / intervalMs) * intervalMs - Date.now() < (options.durationSeconds + 1) * 1000) {
      await sleep(Math.ceil(Date.now() / intervalMs) * intervalMs - Date.now() + 500);
      await untilQuiet(simulator, quietMs, deadline);
    }
    const idle = simulator.requestCount();
    const between = await wrk();
    if (simulator.requestCount() !== idle) throw new Error('a poll cycle began during the run between cycles');
    log(
      `  between poll cycles: ${between.requestsPerSecond.toFixed(0)} req/s, p99 ${between.latencyP99Ms.toFixed(2)} ms`,
    );
    return {
      accounts: count,
      latencyMs,
      concurrency,
      idealSeconds,
      intervalSeconds,
      requestsPerSecond: median(runs.map((r) => r.requestsPerSecond)),
      latencyP50Ms: median(runs.map((r) => r.latencyP50Ms)),
      latencyP99Ms: median(runs.map((r) => r.latencyP99Ms)),
      errors: runs.reduce((sum, r) => sum + r.errors, 0),
      cycleShareAtWrkEnd,
      balancesChangedMin,
      runs,
      between,
    };
  } finally {
    await exporter?.stop();
    await simulator?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function runBenchmark(options: BenchOptions): Promise<BenchResult> {
  const sizes: SizeResult[] = [];
  for (const count of options.sizes) {
    options.log(`scraping at ${count} account(s)`);
    sizes.push(await benchSize(count, options));
  }
  options.log(`poll cycle of ${options.pollAccounts} accounts, ${options.pollLatencyMs} ms upstream latency`);
  const poll = await benchPollCycle(options);
  options.log(`scrapes during poll cycles of ${options.pollAccounts} accounts whose balances change`);
  const pollScrapes = await benchScrapesDuringPoll(options);
  return { sizes, poll, pollScrapes };
}
