import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator, type Simulator } from '../../src/simulator/simulator';
import { ACCOUNT_A, ACCOUNT_B, ACCOUNT_C } from '../support/exporter-harness';
import { fetchUrl } from '../support/https-request';
import { sampleValue } from '../support/prom-text';
import { eventually } from '../support/exporter-process';

const MAIN = join(__dirname, '../../dist/main.js');

interface LogLine {
  level: string;
  msg: string;
  url?: string;
  [key: string]: unknown;
}

/** The built exporter as operators run it, with its JSON log lines collected. */
class ExporterProcess {
  readonly logs: LogLine[] = [];
  output = '';
  private readonly child: ChildProcess;
  readonly exited: Promise<number | null>;

  constructor(args: string[]) {
    this.child = spawn(process.execPath, [MAIN, ...args], {
      env: { PATH: process.env.PATH ?? '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let pending = '';
    this.child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      this.output += chunk;
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) if (line.startsWith('{')) this.logs.push(JSON.parse(line) as LogLine);
    });
    this.child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (this.output += chunk));
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  signal(name: NodeJS.Signals): void {
    this.child.kill(name);
  }

  /** Resolves with the first log line after `from` whose message matches. */
  logAfter(from: number, message: RegExp): Promise<LogLine> {
    return eventually(
      () => this.logs.slice(from).find((l) => message.test(l.msg)),
      `a log line matching ${message}; output so far:\n${this.output}`,
    );
  }
}

describe('SIGHUP on the built exporter (node dist/main.js)', () => {
  let dir: string;
  let simulator: Simulator;
  let exporter: ExporterProcess;
  let url: string;
  const configFile = (): string => join(dir, 'accounts.yml');
  const writeAccounts = (accounts: Array<[string, typeof ACCOUNT_A]>): void => {
    const entries = accounts.map(
      ([name, a]) =>
        `  - name: ${name}\n    api_key: ${a.apiKey}\n    api_secret_file: ${join(dir, `${name}.secret`)}\n    base_url: ${simulator.baseUrl}\n`,
    );
    writeFileSync(configFile(), `accounts:\n${entries.join('')}`);
  };
  const metrics = async (): Promise<string> => (await fetchUrl(`${url}/metrics`)).body;

  beforeAll(async () => {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run npm run build first (npm test does)`);
    dir = mkdtempSync(join(tmpdir(), 'itnio-sighup-'));
    simulator = await startSimulator({ accounts: [ACCOUNT_A, ACCOUNT_B, ACCOUNT_C] });
    for (const [name, account] of [
      ['alpha', ACCOUNT_A],
      ['bravo', ACCOUNT_B],
      ['charlie', ACCOUNT_C],
    ] as const)
      writeFileSync(join(dir, `${name}.secret`), account.apiSecret);
    simulator.update(ACCOUNT_A.apiKey, { failStatus: '-13' });
    writeAccounts([
      ['alpha', ACCOUNT_A],
      ['bravo', ACCOUNT_B],
    ]);
    // Polls at start-up only (the next scheduled one is at midnight), so counters move only when the test says so.
    exporter = new ExporterProcess([
      `--config.file=${configFile()}`,
      '--web.listen-address=127.0.0.1:0',
      '--poll.interval=24h',
      '--poll.max-age=48h',
    ]);
    url = (await exporter.logAfter(0, /listening/)).url as string;
    await eventually(async () => ((await fetchUrl(`${url}/readyz`)).status === 200 ? true : undefined), 'readiness');
  });

  afterAll(async () => {
    exporter?.signal('SIGTERM');
    await exporter?.exited;
    await simulator?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('adds and removes accounts while the counters of a kept account survive', async () => {
    const before = await metrics();
    const alphaErrors = sampleValue(before, 'itniotech_api_errors_total{account="alpha",status="-13"}');
    expect(alphaErrors).toBeGreaterThanOrEqual(1);
    expect(sampleValue(before, 'itniotech_up{account="bravo"}')).toBe(1);

    writeAccounts([
      ['alpha', ACCOUNT_A],
      ['charlie', ACCOUNT_C],
    ]);
    const mark = exporter.logs.length;
    exporter.signal('SIGHUP');
    const reloaded = await exporter.logAfter(mark, /^configuration reloaded$/);
    expect(reloaded).toMatchObject({
      trigger: 'SIGHUP',
      accounts: ['alpha', 'charlie'],
      added: ['charlie'],
      removed: ['bravo'],
    });

    const after = await eventually(async () => {
      const text = await metrics();
      return sampleValue(text, 'itniotech_up{account="charlie"}') === 1 ? text : undefined;
    }, 'charlie to be polled');
    expect(sampleValue(after, 'itniotech_api_errors_total{account="alpha",status="-13"}')).toBeGreaterThanOrEqual(
      alphaErrors as number,
    );
    expect(after).not.toContain('account="bravo"');
    expect(sampleValue(after, 'itniotech_exporter_config_last_reload_successful')).toBe(1);
  });

  it('keeps the running configuration when the new file is bad', async () => {
    const before = await metrics();
    writeFileSync(configFile(), 'accounts:\n  - name: alpha\n    api_key: [\n');
    const mark = exporter.logs.length;
    exporter.signal('SIGHUP');
    const failed = await exporter.logAfter(mark, /^configuration reload failed/);
    expect(failed.level).toBe('error');
    expect(failed.problems).toEqual([expect.stringMatching(/accounts\.yml: malformed YAML/)]);

    const after = await metrics();
    expect(sampleValue(after, 'itniotech_exporter_config_last_reload_successful')).toBe(0);
    for (const series of [
      'itniotech_up{account="charlie"}',
      'itniotech_api_errors_total{account="alpha",status="-13"}',
      'itniotech_balance{account="charlie"}',
    ]) {
      expect(sampleValue(after, series)).toBe(sampleValue(before, series));
    }
    expect((await fetchUrl(`${url}/readyz`)).status).toBe(200);
  });

  it('serves no /-/reload without --web.enable-lifecycle and never logs a secret', async () => {
    expect((await fetchUrl(`${url}/-/reload`, { method: 'POST' })).status).toBe(404);
    for (const account of [ACCOUNT_A, ACCOUNT_B, ACCOUNT_C]) {
      expect(exporter.output).not.toContain(account.apiSecret);
      expect(exporter.output).not.toContain(account.apiKey);
    }
  });

  it('still stops cleanly on SIGTERM', async () => {
    exporter.signal('SIGTERM');
    expect(await exporter.exited).toBe(0);
  });
});
