import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { demoConfigYaml } from '../../src/simulator/demo-accounts';
import { startSimulator, type Simulator } from '../../src/simulator/simulator';
import { assertBuilt, eventually, MAIN, ROOT } from '../support/exporter-process';
import { parseSamples } from '../support/prom-text';

const KEY = 'cliKey77';
const SECRET = 'cli-secret-0d9e8f';

/** Runs the built CLI to completion without blocking the event loop (the simulator lives in this process). */
function runCli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  assertBuilt();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MAIN, ...args], { env: { PATH: process.env.PATH ?? '', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

describe('command line', () => {
  test('--help lists every flag and exits 0', async () => {
    const { status, stdout } = await runCli(['--help']);
    expect(status).toBe(0);
    for (const flag of [
      '--web.listen-address',
      '--web.telemetry-path',
      '--web.config.file',
      '--web.enable-lifecycle',
      '--config.file',
      '--api.base-url',
      '--api.timeout',
      '--api.ca-file',
      '--poll.interval',
      '--poll.schedule',
      '--poll.max-age',
      '--poll.concurrency',
      '--log.level',
      '--check',
      '--config.check',
      '--version',
      '--help',
    ]) {
      // A whole line, so --check is not found inside --config.check.
      expect(stdout).toMatch(new RegExp(`^  ${flag.replace(/\./g, '\\.')}(=VALUE)?$`, 'm'));
    }
  });

  test('--version prints the package version', async () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const { status, stdout } = await runCli(['--version']);
    expect(status).toBe(0);
    expect(stdout).toContain(`itniotech-exporter ${version}`);
  });

  test('a bad configuration exits 1 naming every problem, and never echoes the secret', async () => {
    const { status, stderr } = await runCli(['--poll.interval=45s', '--web.listen-address=nowhere'], {
      ITNIO_API_KEY: KEY,
      ITNIO_API_SECRET: SECRET,
      ITNIO_POLL_CONCURRENCY: 'many',
    });
    expect(status).toBe(1);
    expect(stderr).toContain('--poll.interval');
    expect(stderr).toContain('--web.listen-address');
    expect(stderr).toContain('ITNIO_POLL_CONCURRENCY');
    expect(stderr).not.toContain(SECRET);
  });

  test('a listen address already in use is a clear start-up error', async () => {
    const blocker = await startSimulator({ accounts: [] });
    try {
      const port = new URL(blocker.url).port;
      const { status, stdout } = await runCli([`--web.listen-address=127.0.0.1:${port}`], {
        ITNIO_API_KEY: KEY,
        ITNIO_API_SECRET: SECRET,
      });
      expect(status).toBe(1);
      expect(stdout).toContain(`cannot listen on 127.0.0.1:${port}: EADDRINUSE`);
    } finally {
      await blocker.close();
    }
  });

  test('--config.check validates and exits 0', async () => {
    const { status, stdout } = await runCli(['--config.check'], {
      ITNIO_API_KEY: KEY,
      ITNIO_API_SECRET: SECRET,
      ITNIO_ACCOUNT: 'shop',
    });
    expect(status).toBe(0);
    expect(stdout).toContain('1 account(s): shop');
  });
});

describe('--check', () => {
  let simulator: Simulator;
  let skewed: Simulator;
  let dir: string;
  beforeAll(async () => {
    const accounts = [
      { apiKey: KEY, apiSecret: SECRET, balance: 42.5, gift: 1, credit: 0, spendPerHour: 0 },
      {
        apiKey: 'lockedK1',
        apiSecret: 'locked-secret',
        balance: 0,
        gift: 0,
        credit: 0,
        spendPerHour: 0,
        failStatus: '-13',
      },
      {
        apiKey: 'busyKey1',
        apiSecret: 'busy-secret',
        balance: 0,
        gift: 0,
        credit: 0,
        spendPerHour: 0,
        failStatus: '-15',
      },
    ];
    simulator = await startSimulator({ accounts });
    // A server whose clock runs an hour ahead of ours.
    skewed = await startSimulator({ accounts, now: () => Date.now() + 3_600_000 });
    dir = mkdtempSync(join(tmpdir(), 'itnio-cli-'));
  });
  afterAll(async () => {
    await simulator.close();
    await skewed.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('exits 0 and prints the balance when every account works', async () => {
    const { status, stdout } = await runCli(['--check'], {
      ITNIO_API_KEY: KEY,
      ITNIO_API_SECRET: SECRET,
      ITNIO_BASE_URL: simulator.baseUrl,
      ITNIO_ACCOUNT: 'shop',
    });
    expect(stdout).toMatch(/^shop\s+OK\s+balance 42\.5\s+gift 1\s+credit 0/m);
    expect(status).toBe(0);
  });

  test('exits 1 with the meaning and a hint for each failing account', async () => {
    const config = join(dir, 'c.yml');
    writeFileSync(
      config,
      `accounts:\n  - name: good\n    api_key: ${KEY}\n    api_secret: ${SECRET}\n  - name: locked\n    api_key: lockedK1\n    api_secret: locked-secret\n  - name: wrong\n    api_key: ${KEY}\n    api_secret: not-the-secret\n`,
    );
    const { status, stdout } = await runCli([
      '--check',
      `--config.file=${config}`,
      `--api.base-url=${simulator.baseUrl}`,
    ]);
    expect(status).toBe(1);
    expect(stdout).toMatch(/^good\s+OK/m);
    expect(stdout).toMatch(/^locked\s+FAILED\s+status -13: user locked.*hint: /m);
    expect(stdout).toMatch(/^wrong\s+FAILED\s+status -1: authentication error.*hint: check the API key and secret/m);
    expect(stdout).not.toContain(SECRET);
    expect(stdout).not.toContain('not-the-secret');
  });

  test('with --collector.numbers, one numbers line per account: in use, next due, and failures with their meaning', async () => {
    const numbersSim = await startSimulator({
      accounts: [
        {
          apiKey: KEY,
          apiSecret: SECRET,
          balance: 1,
          gift: 0,
          credit: 0,
          spendPerHour: 0,
          numbers: [
            { number: '447700900001', state: 3, dueInDays: 3 },
            { number: '447700900002', state: 3, dueInDays: 40 },
            { number: '447700900003', state: 4, dueInDays: -2 },
          ],
        },
        {
          apiKey: 'noPerm01',
          apiSecret: 'no-perm-secret',
          balance: 1,
          gift: 0,
          credit: 0,
          spendPerHour: 0,
          numbersFailStatus: '-32',
        },
        { apiKey: 'optOut01', apiSecret: 'opt-out-secret', balance: 1, gift: 0, credit: 0, spendPerHour: 0 },
      ],
    });
    try {
      const config = join(dir, 'numbers.yml');
      writeFileSync(
        config,
        `accounts:\n  - name: rented\n    api_key: ${KEY}\n    api_secret: ${SECRET}\n  - name: noperm\n    api_key: noPerm01\n    api_secret: no-perm-secret\n  - name: optout\n    api_key: optOut01\n    api_secret: opt-out-secret\n    numbers: false\n`,
      );
      const { status, stdout } = await runCli([
        '--check',
        '--collector.numbers',
        `--config.file=${config}`,
        `--api.base-url=${numbersSim.baseUrl}`,
      ]);
      expect(stdout).toMatch(/^rented\s+OK\s+balance 1/m);
      expect(stdout).toMatch(
        /^rented\s+numbers OK {2}2 in use, 1 not in use, next due \d{4}-\d\d-\d\d \(in 2 d DUE SOON: 447700900001\)/m,
      );
      expect(stdout).toMatch(/^noperm\s+OK\s+balance 1/m);
      expect(stdout).toMatch(
        /^noperm\s+numbers FAILED {2}status -32 from number\/queryPage page 1: API Key lacks permission/m,
      );
      expect(stdout).toMatch(/^optout\s+numbers skipped/m);
      expect(numbersSim.numbersRequestCount('optOut01')).toBe(0);
      expect(status).toBe(1);
    } finally {
      await numbersSim.close();
    }
  });

  test('-16 reports the local clock against the server Date header', async () => {
    const { status, stdout } = await runCli(['--check'], {
      ITNIO_API_KEY: KEY,
      ITNIO_API_SECRET: SECRET,
      ITNIO_BASE_URL: skewed.baseUrl,
    });
    expect(status).toBe(1);
    const match = /status -16: .*skew (-?\d+)s.*hint: synchronise/.exec(stdout);
    expect(match).not.toBeNull();
    expect(Math.abs(Number(match?.[1]) + 3600)).toBeLessThanOrEqual(2);
  });

  test('-15 says that something else polls with the same key, and what to do', async () => {
    const { status, stdout } = await runCli(['--check'], {
      ITNIO_API_KEY: 'busyKey1',
      ITNIO_API_SECRET: 'busy-secret',
      ITNIO_BASE_URL: simulator.baseUrl,
      ITNIO_ACCOUNT: 'busy',
    });
    expect(status).toBe(1);
    expect(stdout).toMatch(
      /^busy\s+FAILED\s+status -15: query too frequently \(rate limited\).*hint: the exporter backs this account off by itself/m,
    );
    expect(stdout).toMatch(
      /^\s+--check sent this account one request, so something else polls ITNIO with the same API key .*wait a minute and check again/m,
    );
  });

  test('an unreachable API is reported as a network failure', async () => {
    const { status, stdout } = await runCli(['--check', '--api.timeout=500ms'], {
      ITNIO_API_KEY: KEY,
      ITNIO_API_SECRET: SECRET,
      ITNIO_BASE_URL: 'http://127.0.0.1:9/sms',
    });
    expect(status).toBe(1);
    expect(stdout).toMatch(/FAILED\s+network: ECONNREFUSED/);
  });
});

describe('demo', () => {
  test('examples/demo.yml is the demo configuration the simulator expects', () => {
    expect(readFileSync(join(ROOT, 'examples', 'demo.yml'), 'utf8')).toBe(demoConfigYaml('http://simulator:10043/sms'));
  });

  test('the demo serves balances from the simulator within seconds, on the address given and no other', async () => {
    assertBuilt();
    // Its default address taken (by this test, or by whatever holds it already): a demo that
    // still listened there besides the address given would fail to start.
    const holder = createServer();
    await new Promise<void>((resolve) => {
      holder.once('error', () => resolve());
      holder.listen(10042, '127.0.0.1', () => resolve());
    });
    const child = spawn(
      process.execPath,
      [join(ROOT, 'dist', 'demo.js'), '--web.listen-address=127.0.0.1:0', '--poll.interval=1s'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    try {
      const metricsUrl = await eventually(
        async () => /metrics\s+(http:\/\/\S+)/.exec(out)?.[1],
        'the demo to print its URLs',
      );
      const samples = await eventually(async () => {
        const s = parseSamples(await (await fetch(metricsUrl)).text());
        return s.get('itniotech_up{account="otp"}') === 1 ? s : undefined;
      }, 'demo balances');
      for (const name of ['marketing', 'alerts', 'otp'])
        expect(samples.get(`itniotech_balance{account="${name}"}`)).toBeGreaterThan(0);
      // The demo turns the numbers collector on: marketing rents a number due within a week.
      const numbers = await eventually(async () => {
        const s = parseSamples(await (await fetch(metricsUrl)).text());
        return s.get('itniotech_numbers_up{account="marketing"}') === 1 ? s : undefined;
      }, 'demo numbers');
      const due = [...numbers.entries()].filter(([k]) =>
        k.startsWith('itniotech_number_due_timestamp_seconds{account="marketing"'),
      );
      expect(due.some(([, v]) => v * 1000 - Date.now() < 7 * 86_400_000)).toBe(true);
      expect(numbers.get('itniotech_account_info{account="marketing",currency="USD",team="growth"}')).toBe(1);
      expect(new URL(metricsUrl).port).not.toBe('10042');
    } finally {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
      holder.close();
    }
  });
});
