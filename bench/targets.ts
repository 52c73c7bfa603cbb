import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';
import { freePort } from './proc';

/** A program the benchmark started, answering on loopback. */
export interface Target {
  name: string;
  pid: number;
  /** Base URL, e.g. http://127.0.0.1:41234 */
  url: string;
  /** Path to scrape. */
  metricsPath: string;
  stop(): Promise<void>;
}

/** The repository root: the nearest folder above this file holding the exporter's package.json. */
export function repoRoot(from = __dirname): string {
  for (let dir = from; dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file) && (JSON.parse(readFileSync(file, 'utf8')) as { name?: string }).name === 'itniotech-exporter')
      return dir;
  }
  throw new Error(`no itniotech-exporter package.json above ${from}`);
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Keeps the last few KB a child wrote, to explain a failure. */
function tail(child: ChildProcess): () => string {
  let text = '';
  const keep = (chunk: Buffer): void => {
    text = (text + chunk.toString('utf8')).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return () => text;
}

function statusOf(url: string): Promise<number> {
  return new Promise((resolve) => {
    const request = get(url, { agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    request.on('error', () => resolve(0));
    request.setTimeout(2000, () => request.destroy());
  });
}

/** Polls `url` until it answers 200; resolves with the milliseconds since `since` (hrtime ns). */
async function waitFor200(
  url: string,
  since: bigint,
  child: ChildProcess,
  output: () => string,
  timeoutMs: number,
  everyMs = 5,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`${child.spawnfile} exited with code ${child.exitCode} before ${url} answered:\n${output()}`);
    if ((await statusOf(url)) === 200) return Number(process.hrtime.bigint() - since) / 1e6;
    if (Date.now() > deadline) throw new Error(`${url} did not answer 200 within ${timeoutMs} ms:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

export interface BenchAccount {
  name: string;
  apiKey: string;
  apiSecret: string;
  lowBalanceThreshold?: number;
}

export interface ExporterTarget extends Target {
  /** Milliseconds from spawning `node dist/main.js` to /readyz answering 200. */
  startToReadyMs: number;
}

export interface ExporterSpawnOptions {
  dir: string;
  accounts: readonly BenchAccount[];
  baseUrl: string;
  /** node-cron expression for scheduled polls. */
  schedule: string;
  concurrency?: number;
  readyTimeoutMs?: number;
}

/**
 * Node flags the exporter ships with (Dockerfile ENTRYPOINT and `npm start`; a test keeps the
 * three in step). A 2 MB young-generation semi-space instead of V8's 16 MB: the start-up poll
 * of many accounts otherwise grows it to the maximum and the pages stay resident. V8 reads the
 * flag only when the heap is set up, so the process cannot set it for itself.
 */
export const EXPORTER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=2'];

/** Writes a configuration file into `dir` and starts the built exporter as its own process. */
export async function spawnExporter(options: ExporterSpawnOptions): Promise<ExporterTarget> {
  const root = repoRoot();
  const main = join(root, 'dist', 'main.js');
  if (!existsSync(main)) throw new Error(`${main} is missing: run "npm run build" first`);
  const configFile = join(options.dir, 'exporter.yml');
  const accounts = options.accounts.map((a) => ({
    name: a.name,
    api_key: a.apiKey,
    api_secret: a.apiSecret,
    low_balance_threshold: a.lowBalanceThreshold,
  }));
  writeFileSync(configFile, stringify({ accounts }), { mode: 0o600 });
  const port = await freePort();
  const args = [
    ...EXPORTER_NODE_FLAGS,
    main,
    `--config.file=${configFile}`,
    `--web.listen-address=127.0.0.1:${port}`,
    `--api.base-url=${options.baseUrl}`,
    `--poll.schedule=${options.schedule}`,
    // The bench schedule fires once a year; balances must not expire in between.
    '--poll.max-age=400d',
    `--poll.concurrency=${options.concurrency ?? 4}`,
    // The poll cycle is measured as one burst, as before polls were spread over the interval.
    '--poll.spread=false',
    '--log.level=warn',
  ];
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, args, { cwd: options.dir, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = tail(child);
  const url = `http://127.0.0.1:${port}`;
  try {
    const startToReadyMs = await waitFor200(`${url}/readyz`, started, child, output, options.readyTimeoutMs ?? 60_000);
    return {
      name: 'exporter',
      pid: child.pid as number,
      url,
      metricsPath: '/metrics',
      startToReadyMs,
      stop: () => stopChild(child),
    };
  } catch (error) {
    await stopChild(child);
    throw error;
  }
}

export async function startPushgateway(binary: string, dir: string): Promise<Target> {
  const port = await freePort();
  // Its packaged default persists to /var/lib; a file of our own keeps runs apart.
  const args = [
    `--web.listen-address=127.0.0.1:${port}`,
    `--persistence.file=${join(dir, 'pg.data')}`,
    '--log.level=warn',
  ];
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const output = tail(child);
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor200(`${url}/-/ready`, process.hrtime.bigint(), child, output, 15_000, 20);
  } catch (error) {
    await stopChild(child);
    throw error;
  }
  return { name: 'pushgateway', pid: child.pid as number, url, metricsPath: '/metrics', stop: () => stopChild(child) };
}

/** Replaces the group job="itniotech" on a Pushgateway with `text` (text format 0.0.4). */
export async function pushToGateway(url: string, text: string): Promise<void> {
  const response = await fetch(`${url}/metrics/job/itniotech`, {
    method: 'PUT',
    headers: { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' },
    body: text,
  });
  if (response.status !== 200 && response.status !== 202) {
    throw new Error(`push to the Pushgateway answered HTTP ${response.status}: ${await response.text()}`);
  }
}

/**
 * The floor: plain node:http answering every request with bytes prepared before the first
 * one, gzipped when asked. Run as a child process so its memory is its own.
 */
const PLAIN_SERVER_SOURCE = `
const http = require('node:http');
const fs = require('node:fs');
const identity = fs.readFileSync(process.env.PLAIN_IDENTITY);
const gzip = fs.readFileSync(process.env.PLAIN_GZIP);
const server = http.createServer((req, res) => {
  const zipped = /\\bgzip\\b/.test(req.headers['accept-encoding'] || '');
  const body = zipped ? gzip : identity;
  const headers = { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8', 'Content-Length': body.length, Vary: 'Accept-Encoding' };
  if (zipped) headers['Content-Encoding'] = 'gzip';
  res.writeHead(200, headers).end(body);
});
server.listen(Number(process.env.PLAIN_PORT), '127.0.0.1', () => process.stdout.write('listening\\n'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

/** Starts `node <args>` and waits until it answers 200 on /metrics at `port`. */
async function startNodeServer(
  name: string,
  port: number,
  args: readonly string[],
  options: { env: NodeJS.ProcessEnv; cwd?: string },
): Promise<Target> {
  const child = spawn(process.execPath, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = tail(child);
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor200(`${url}/metrics`, process.hrtime.bigint(), child, output, 15_000, 20);
  } catch (error) {
    await stopChild(child);
    throw error;
  }
  return { name, pid: child.pid as number, url, metricsPath: '/metrics', stop: () => stopChild(child) };
}

export async function startPlainServer(dir: string, identity: Buffer, gzip: Buffer): Promise<Target> {
  const port = await freePort();
  writeFileSync(join(dir, 'plain.txt'), identity);
  writeFileSync(join(dir, 'plain.txt.gz'), gzip);
  const env = {
    ...process.env,
    PLAIN_IDENTITY: join(dir, 'plain.txt'),
    PLAIN_GZIP: join(dir, 'plain.txt.gz'),
    PLAIN_PORT: String(port),
  };
  return startNodeServer('plain node', port, ['-e', PLAIN_SERVER_SOURCE], { env });
}

/**
 * What the runtime and the exporter's packages cost before any exporter code runs: the same
 * Node binary and flags, requiring the packages `dist/main.js` loads at start-up (bcryptjs is
 * loaded on the first password check, so it is left out) and serving one Express route. The
 * exporter's own memory is its RSS minus this one's, sampled at the same moments.
 * test/bench/packages-floor.test.ts keeps the list equal to what `dist/main.js` loads.
 */
export const START_UP_PACKAGES: readonly string[] = ['axios', 'express', 'prom-client', 'node-cron', 'pino', 'yaml'];

const PACKAGES_ONLY_SOURCE = `
for (const name of JSON.parse(process.env.FLOOR_PACKAGES)) require(name);
const app = require('express')();
app.get('/metrics', (_req, res) => res.type('text/plain').send('up 1\\n'));
const server = app.listen(Number(process.env.FLOOR_PORT), '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

export async function startPackagesOnly(): Promise<Target> {
  const port = await freePort();
  const env = { ...process.env, FLOOR_PACKAGES: JSON.stringify(START_UP_PACKAGES), FLOOR_PORT: String(port) };
  const args = [...EXPORTER_NODE_FLAGS, '-e', PACKAGES_ONLY_SOURCE];
  return startNodeServer('node + packages', port, args, { env, cwd: repoRoot() });
}
