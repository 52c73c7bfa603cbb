import { Agent, get } from 'node:http';
import { cpus } from 'node:os';
import { startSimulator } from '../src/simulator/simulator';
import { spawnExporter } from './exporter-child';
import { startNewConnectionProbe, type ProbeResult } from './probe';
import { quantile, readFlags } from './stats';

export interface LoadOptions {
  durationSeconds: number;
  /** Concurrent scrapers, each on its own keep-alive connection. */
  connections: number;
  /** Pause between one scraper's scrapes; 0 scrapes back to back (a closed loop, the harshest case). */
  intervalMs: number;
  /** A scrape still unanswered after this long counts as unanswered. */
  requestTimeoutMs: number;
  path: string;
  /** Meanwhile, GET /healthz on a new connection this often (a liveness probe); 0 or absent: no probe. */
  probeEveryMs?: number;
}

export interface LoadResult {
  options: LoadOptions;
  requests: number;
  ok: number;
  non200: number;
  unanswered: number;
  /** Unanswered scrapes by cause. */
  unansweredBy: Record<string, number>;
  requestsPerSecond: number;
  latencyMs: { p50: number; p90: number; p99: number; p999: number; max: number };
  /** Polls the exporter made during the run, read from its own metrics; every one should have failed. */
  polls: { total: number; up: number };
  allAnswered: boolean;
  /** How long /healthz took on a new connection during the run. */
  probe?: ProbeResult;
}

const KEY = 'loadKey1';
const SECRET = 'load-secret-8c2f';

/** The HTTP status, or why there was none ("timeout", or the socket error code). */
function scrapeOnce(agent: Agent, url: URL, timeoutMs: number): Promise<number | string> {
  return new Promise((resolve) => {
    const request = get(
      { agent, hostname: url.hostname, port: url.port, path: url.pathname, timeout: timeoutMs },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 'no status'));
        response.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
      },
    );
    request.on('timeout', () => request.destroy(Object.assign(new Error('timeout'), { code: 'timeout' })));
    request.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

async function readPolls(url: string): Promise<{ total: number; up: number }> {
  const text = await (await fetch(url)).text();
  const value = (series: string): number =>
    Number(new RegExp(`^${series.replace(/[{}"]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
  return { total: value('itniotech_requests_total{account="load"}'), up: value('itniotech_up{account="load"}') };
}

/**
 * Starts the simulator answering every poll with HTTP 500 and the built exporter polling it
 * every second, then runs `connections` scrapers against /metrics for the duration.
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const simulator = await startSimulator({
    accounts: [{ apiKey: KEY, apiSecret: SECRET, balance: 10, gift: 0, credit: 0, spendPerHour: 0, fault: 'http500' }],
  });
  let exporter;
  try {
    exporter = await spawnExporter(['--poll.interval=1s'], {
      ITNIO_API_KEY: KEY,
      ITNIO_API_SECRET: SECRET,
      ITNIO_ACCOUNT: 'load',
      ITNIO_BASE_URL: simulator.baseUrl,
    });
  } catch (error) {
    await simulator.close();
    throw error;
  }
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections });
  const target = new URL(options.path, exporter.url);
  const latencies: number[] = [];
  let ok = 0;
  let non200 = 0;
  let unanswered = 0;
  const unansweredBy: Record<string, number> = {};
  try {
    const pollsBefore = await readPolls(new URL('/metrics', exporter.url).href);
    const probe = options.probeEveryMs
      ? startNewConnectionProbe(new URL('/healthz', exporter.url).href, options.probeEveryMs, 15_000)
      : undefined;
    const started = performance.now();
    const end = started + options.durationSeconds * 1000;
    const scraper = async (index: number): Promise<void> => {
      // Spread the first scrapes over one interval, as independent scrapers would be.
      if (options.intervalMs > 0)
        await new Promise((r) => setTimeout(r, (options.intervalMs * index) / options.connections));
      while (performance.now() < end) {
        const sent = performance.now();
        const status = await scrapeOnce(agent, target, options.requestTimeoutMs);
        const elapsed = performance.now() - sent;
        if (typeof status === 'string') {
          unanswered++;
          unansweredBy[status] = (unansweredBy[status] ?? 0) + 1;
        } else {
          latencies.push(elapsed);
          if (status === 200) ok++;
          else non200++;
        }
        if (options.intervalMs > 0) await new Promise((r) => setTimeout(r, Math.max(0, options.intervalMs - elapsed)));
      }
    };
    await Promise.all(Array.from({ length: options.connections }, (_, i) => scraper(i)));
    const seconds = (performance.now() - started) / 1000;
    const probed = await probe?.stop();
    const pollsAfter = await readPolls(new URL('/metrics', exporter.url).href);
    const sorted = Float64Array.from(latencies).sort();
    const round = (n: number): number => Math.round(n * 100) / 100;
    const requests = ok + non200 + unanswered;
    return {
      options,
      requests,
      ok,
      non200,
      unanswered,
      unansweredBy,
      requestsPerSecond: Math.round(requests / seconds),
      latencyMs: {
        p50: round(quantile(sorted, 0.5)),
        p90: round(quantile(sorted, 0.9)),
        p99: round(quantile(sorted, 0.99)),
        p999: round(quantile(sorted, 0.999)),
        max: round(quantile(sorted, 1)),
      },
      polls: { total: pollsAfter.total - pollsBefore.total, up: pollsAfter.up },
      allAnswered: requests > 0 && ok === requests,
      ...(probed ? { probe: probed } : {}),
    };
  } finally {
    agent.destroy();
    await exporter.stop();
    await simulator.close();
  }
}

async function main(): Promise<number> {
  const flags = readFlags(process.argv.slice(2), {
    duration: 60,
    connections: 200,
    'interval-ms': 0,
    'timeout-ms': 10_000,
    'max-p99-ms': 100,
    path: '/metrics',
    'probe-ms': 500,
  });
  const result = await runLoad({
    durationSeconds: flags.duration,
    connections: flags.connections,
    intervalMs: flags['interval-ms'],
    requestTimeoutMs: flags['timeout-ms'],
    path: flags.path,
    probeEveryMs: flags['probe-ms'],
  });
  const p99ok = result.latencyMs.p99 <= flags['max-p99-ms'];
  const pollsFailed = result.polls.total > 0 && result.polls.up === 0;
  process.stdout.write(
    `${JSON.stringify({ ...result, machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version } }, null, 2)}\n`,
  );
  process.stdout.write(
    `${result.requests} scrapes in ${flags.duration}s by ${flags.connections} scrapers (${result.requestsPerSecond}/s): ` +
      `${result.allAnswered ? 'all answered 200' : `${result.non200} non-200, ${result.unanswered} unanswered ${JSON.stringify(result.unansweredBy)}`}; ` +
      `p50 ${result.latencyMs.p50} ms, p99 ${result.latencyMs.p99} ms (limit ${flags['max-p99-ms']} ms: ${p99ok ? 'ok' : 'EXCEEDED'}), max ${result.latencyMs.max} ms; ` +
      `${result.polls.total} polls meanwhile, ${pollsFailed ? 'all failing (up 0)' : 'NOT all failing'}` +
      (result.probe
        ? `; /healthz on a new connection: ${result.probe.count} probes, p50 ${result.probe.latencyMs.p50} ms, max ${result.probe.latencyMs.max} ms, failed ${JSON.stringify(result.probe.failed)}`
        : '') +
      '\n',
  );
  return result.allAnswered && p99ok && pollsFailed ? 0 : 1;
}

if (require.main === module) {
  main().then(
    (code) => (process.exitCode = code),
    (error: unknown) => {
      process.stderr.write(`load: ${error instanceof Error ? error.stack : String(error)}\n`);
      process.exitCode = 2;
    },
  );
}
