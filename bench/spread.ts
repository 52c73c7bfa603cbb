import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as ConfigModule from '../src/config/config';
import type * as ExporterModule from '../src/exporter/start-exporter';
import type { RunningExporter } from '../src/exporter/start-exporter';
import type * as LoggerModule from '../src/log/logger';
import { quantile, readFlags } from './stats';

// The built exporter (dist/, as `npm run bench:build` leaves it): its version file reads the
// package.json beside dist/, which dist-bench/ does not have.
const ROOT = join(__dirname, '..', '..');
const requireBuilt = createRequire(join(ROOT, 'dist', 'main.js'));
const built = <T>(path: string): T => requireBuilt(join(ROOT, 'dist', path)) as T;
const { loadConfig, readConfigFile } = built<typeof ConfigModule>('config/config.js');
const { startExporter } = built<typeof ExporterModule>('exporter/start-exporter.js');
const { createLogger } = built<typeof LoggerModule>('log/logger.js');

/**
 * How the getBalance requests of many accounts spread over the poll interval (issue 20 item 10):
 * two exporters ("replicas", each with its own spread salt as two hosts have) poll the same
 * accounts through a loopback stand-in for ITNIO that records when each key is asked. Run with
 * spreading on and off. `npm run bench:build && node dist-bench/bench/spread.js --accounts=5000`
 */

interface Hit {
  atMs: number;
  key: string;
}

const BODY = '{"status":"0","reason":"success","balance":"1.000000","gift":"0","credit":"0"}';

/** Answers every getBalance at once and records when each key asked. */
async function startRecorder(hits: Hit[]): Promise<Server> {
  const server = createServer((req, res) => {
    hits.push({ atMs: Date.now(), key: String(req.headers['api-key']) });
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(BODY);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

function accountsFile(dir: string, count: number, baseUrl: string): string {
  const lines = ['accounts:'];
  for (let i = 0; i < count; i++)
    lines.push(
      `  - name: acct-${i}`,
      `    api_key: key${i}`,
      `    api_secret: secret-${i}`,
      `    base_url: ${baseUrl}`,
    );
  const file = join(dir, 'accounts.yml');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

async function replica(file: string, intervalS: number, spread: boolean, salt: string): Promise<RunningExporter> {
  const argv = [
    `--config.file=${file}`,
    '--web.listen-address=127.0.0.1:0',
    `--poll.interval=${intervalS}s`,
    `--poll.max-age=${intervalS * 10}s`,
    `--poll.spread=${spread}`,
  ];
  const command = loadConfig({ argv, env: {}, readFile: readConfigFile });
  if (command.kind !== 'run') throw new Error('expected a run command');
  return startExporter(command.config, { logger: createLogger('error'), spreadSalt: salt });
}

/** Requests per second within each interval, and how often both replicas asked a key in the same second. */
function summarise(hits: Hit[], fromMs: number, intervalMs: number, rounds: number) {
  const perRound = [];
  for (let r = 0; r < rounds; r++) {
    const start = fromMs + r * intervalMs;
    const inRound = hits.filter((h) => h.atMs >= start && h.atMs < start + intervalMs);
    const perSecond = new Array<number>(Math.ceil(intervalMs / 1000)).fill(0);
    for (const h of inRound) perSecond[Math.floor((h.atMs - start) / 1000)]! += 1;
    const times = inRound.map((h) => h.atMs - start).sort((a, b) => a - b);
    const byKey = new Map<string, number[]>();
    for (const h of inRound) byKey.set(h.key, [...(byKey.get(h.key) ?? []), h.atMs]);
    const gaps = [...byKey.values()].filter((t) => t.length === 2).map((t) => Math.abs((t[0] ?? 0) - (t[1] ?? 0)));
    perRound.push({
      requests: inRound.length,
      spanS: times.length ? ((times.at(-1) ?? 0) - (times[0] ?? 0)) / 1000 : 0,
      maxPerSecond: Math.max(...perSecond),
      p50PerSecond: quantile(
        [...perSecond].sort((a, b) => a - b),
        0.5,
      ),
      busySeconds: perSecond.filter((n) => n > 0).length,
      keysBothReplicasSameSecond: gaps.filter((g) => g < 1000).length,
      keysAskedTwice: gaps.length,
    });
  }
  return perRound;
}

async function run(spread: boolean, options: { accounts: number; interval: number; rounds: number }) {
  const hits: Hit[] = [];
  const server = await startRecorder(hits);
  const dir = mkdtempSync(join(tmpdir(), 'itniotech-spread-'));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/sms`;
  const file = accountsFile(dir, options.accounts, baseUrl);
  const replicas = [
    await replica(file, options.interval, spread, 'replica-a'),
    await replica(file, options.interval, spread, 'replica-b'),
  ];
  try {
    // After the start-up round (not spread: readiness first), from the next interval's slot.
    const intervalMs = options.interval * 1000;
    const fromMs = (Math.floor(Date.now() / intervalMs) + 1) * intervalMs;
    await new Promise((r) => setTimeout(r, fromMs - Date.now() + options.rounds * intervalMs + 500));
    return summarise(hits, fromMs, intervalMs, options.rounds);
  } finally {
    for (const r of replicas) await r.close();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<number> {
  const options = readFlags(process.argv.slice(2), { accounts: 5000, interval: 30, rounds: 2 });
  console.log(
    `${options.accounts} accounts, two replicas, --poll.interval=${options.interval}s, ${options.rounds} rounds`,
  );
  for (const spread of [false, true]) {
    const rounds = await run(spread, options);
    for (const [i, round] of rounds.entries()) console.log(JSON.stringify({ spread, round: i + 1, ...round }));
  }
  return 0;
}

if (require.main === module) {
  main().then(
    (code) => (process.exitCode = code),
    (error: unknown) => {
      console.error(error);
      process.exitCode = 2;
    },
  );
}
