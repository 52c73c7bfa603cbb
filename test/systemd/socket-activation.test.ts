/**
 * --web.systemd-socket: the exporter serves on the socket systemd passes (LISTEN_FDS, fd 3),
 * here passed by systemd-socket-activate, which listens and starts the exporter on the first
 * connection as systemd does with deploy/systemd/itniotech-exporter.socket. And the socket unit
 * beside the service unit passes `systemd-analyze verify`.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator, type Simulator } from '../../src/simulator/simulator';
import { testWithBinaries } from '../support/binaries';
import { ACCOUNT_A } from '../support/exporter-harness';
import { assertBuilt, eventually, MAIN, ROOT } from '../support/exporter-process';
import { fetchUrl } from '../support/https-request';
import { freePort } from '../support/ports';
import { runCli } from '../support/run-cli';

let simulator: Simulator;
beforeAll(async () => {
  simulator = await startSimulator({ accounts: [ACCOUNT_A] });
});
afterAll(() => simulator.close());

const env = (): Record<string, string> => ({
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  ITNIO_API_KEY: ACCOUNT_A.apiKey,
  ITNIO_API_SECRET: ACCOUNT_A.apiSecret,
  ITNIO_BASE_URL: simulator.baseUrl,
  ITNIO_LOG_LEVEL: 'warn',
});

testWithBinaries(
  ['systemd-socket-activate'],
  'serves on the socket systemd-socket-activate passes it',
  async () => {
    assertBuilt();
    const port = await freePort();
    const child: ChildProcess = spawn(
      'systemd-socket-activate',
      [
        '--listen',
        `127.0.0.1:${port}`,
        // It hands the program only the variables named here (and LISTEN_*).
        ...Object.entries(env()).map(([name, value]) => `--setenv=${name}=${value}`),
        process.execPath,
        MAIN,
        '--web.systemd-socket',
      ],
      { env: env(), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    try {
      // systemd-socket-activate is listening once it says so; the first connection starts the exporter.
      await eventually(
        () => (/Listening on 127\.0\.0\.1:\d+/.test(output) ? true : undefined),
        'systemd-socket-activate to listen',
      );
      const res = await fetchUrl(`http://127.0.0.1:${port}/metrics`);
      expect(res.status).toBe(200);
      expect(res.body).toMatch(/^itniotech_exporter_build_info\{/m);
      expect((await fetchUrl(`http://127.0.0.1:${port}/-/healthy`)).status).toBe(200);
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  },
  30_000,
);

test('refuses to start with --web.systemd-socket when systemd passed no socket', async () => {
  const run = await runCli(['--web.systemd-socket'], env());
  expect(run.status).toBe(1);
  expect(run.stdout).toMatch(/--web\.systemd-socket: no socket passed by systemd \(LISTEN_FDS/);
});

testWithBinaries(['systemd-analyze'], 'systemd-analyze verify accepts the socket unit with its service', () => {
  const dir = mkdtempSync(join(tmpdir(), 'itnio-socket-unit-'));
  try {
    const service = readFileSync(join(ROOT, 'deploy', 'systemd', 'itniotech-exporter.service'), 'utf8');
    writeFileSync(
      join(dir, 'itniotech-exporter.service'),
      service.replace(/^ExecStart=.*$/m, `ExecStart=${process.execPath} ${MAIN}`),
    );
    const socket = readFileSync(join(ROOT, 'deploy', 'systemd', 'itniotech-exporter.socket'), 'utf8');
    writeFileSync(join(dir, 'itniotech-exporter.socket'), socket);
    const result = spawnSync('systemd-analyze', ['verify', join(dir, 'itniotech-exporter.socket')], {
      encoding: 'utf8',
    });
    const complaints = `${result.stdout}${result.stderr}`.split('\n').filter((l) => l.includes('itniotech-exporter'));
    expect({ status: result.status, complaints }).toEqual({ status: 0, complaints: [] });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
