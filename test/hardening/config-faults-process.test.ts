import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator, type Simulator } from '../../src/simulator/simulator';
import { eventually, startExporterProcess, type ExporterProcess } from '../support/exporter-process';
import { createTestPki, type TestPki } from '../support/certs';
import { runCli } from '../support/run-cli';

// Configuration faults of issue 11 through the built process: what start-up, --config.check,
// POST /-/reload and the log show.

const KEY = 'procKey7';
const SECRET = 'proc-secret-51c9';

let dir: string;
let simulator: Simulator;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'itnio-config-faults-'));
  simulator = await startSimulator({
    accounts: [{ apiKey: KEY, apiSecret: SECRET, balance: 12, gift: 0, credit: 0, spendPerHour: 0 }],
  });
});
afterAll(async () => {
  await simulator?.close();
  rmSync(dir, { recursive: true, force: true });
});

function accountsFile(name: string, extra: string): string {
  const file = join(dir, name);
  writeFileSync(file, `accounts:\n  - name: shop\n    api_key: ${KEY}\n    api_secret: ${SECRET}\n${extra}`);
  return file;
}

/** Starts an exporter on a good accounts file, with /-/reload on. */
async function reloadable(file: string): Promise<ExporterProcess> {
  writeFileSync(
    file,
    `accounts:\n  - name: shop\n    api_key: ${KEY}\n    api_secret: ${SECRET}\n    base_url: ${simulator.baseUrl}\n`,
  );
  return startExporterProcess([`--config.file=${file}`, '--web.enable-lifecycle', '--poll.interval=1m'], {});
}

async function reloadWith(
  exporter: ExporterProcess,
  file: string,
  text: string,
): Promise<{ status: number; body: string; logged: string }> {
  writeFileSync(file, text);
  const from = exporter.logs().length;
  const response = await fetch(`${exporter.url}/-/reload`, { method: 'POST', signal: AbortSignal.timeout(5000) });
  const body = await response.text();
  const line = await eventually(
    () =>
      exporter
        .logs()
        .slice(from)
        .find((l) => l.level === 'error'),
    'the reload failure log line',
  );
  return { status: response.status, body, logged: JSON.stringify(line) };
}

describe('a base URL with credentials (item 4)', () => {
  const password = 'Pa55/w@rd zebra';
  const url = (): string => simulator.baseUrl.replace('http://', `http://admin:${password}@`);
  const hidden = ['Pa55', 'w@rd', 'zebra', 'admin'];
  const expectHidden = (text: string): void => {
    for (const part of hidden) expect(text).not.toContain(part);
  };

  test('start-up and --config.check refuse it, naming the source, without showing the user name or password', async () => {
    for (const run of [
      await runCli(['--config.check'], { ITNIO_API_KEY: KEY, ITNIO_API_SECRET: SECRET, ITNIO_BASE_URL: url() }),
      await runCli([`--api.base-url=${url()}`], { ITNIO_API_KEY: KEY, ITNIO_API_SECRET: SECRET }),
      await runCli(['--config.check', `--config.file=${accountsFile('creds.yml', `    base_url: "${url()}"\n`)}`]),
    ]) {
      expect(run.status).toBe(1);
      expect(run.stderr).toMatch(
        /(ITNIO_BASE_URL|--api\.base-url|accounts\[0\]\.base_url): "http:\/\/\*\*\*@127\.0\.0\.1:\d+\/sms" is not valid: it holds a user name or password/,
      );
      expectHidden(run.stdout + run.stderr);
    }
  });

  test('a reload refuses it: the /-/reload body and the log name the key and show no credentials', async () => {
    const file = join(dir, 'reload-creds.yml');
    const exporter = await reloadable(file);
    try {
      const result = await reloadWith(
        exporter,
        file,
        `accounts:\n  - name: shop\n    api_key: ${KEY}\n    api_secret: ${SECRET}\n    base_url: "${url()}"\n`,
      );
      expect(result.status).toBe(500);
      expect(result.body).toMatch(
        /accounts\[0\]\.base_url: "http:\/\/\*\*\*@127\.0\.0\.1:\d+\/sms" is not valid: it holds a user name or password/,
      );
      expect(result.logged).toContain('accounts[0].base_url');
      expectHidden(result.body);
      expectHidden(result.logged);
      expectHidden(exporter.stdout.join('\n') + exporter.stderr.join(''));
    } finally {
      await exporter.stop();
    }
  });
});

describe('a secret file that is a FIFO (item 5)', () => {
  let fifo: string;
  beforeAll(() => {
    fifo = join(dir, 'secret.fifo');
    execFileSync('mkfifo', [fifo]);
  });

  test('start-up refuses it at once, naming the variable', async () => {
    // A read of the FIFO would block forever: 20 s is "at once" even on a loaded machine.
    const run = await runCli([], { ITNIO_API_KEY: KEY, ITNIO_API_SECRET_FILE: fifo }, 20_000);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(
      `ITNIO_API_SECRET_FILE: cannot read secret file "${fifo}": a FIFO (named pipe), not a regular file`,
    );
  });

  test('a reload refuses it at once; the exporter keeps answering and stops on SIGTERM', async () => {
    const file = join(dir, 'reload-fifo.yml');
    const exporter = await reloadable(file);
    try {
      const result = await reloadWith(
        exporter,
        file,
        `accounts:\n  - name: shop\n    api_key: ${KEY}\n    api_secret_file: ${fifo}\n`,
      );
      expect(result.status).toBe(500);
      expect(result.body).toContain(
        `accounts[0].api_secret_file: cannot read secret file "${fifo}": a FIFO (named pipe), not a regular file`,
      );
      expect((await fetch(`${exporter.url}/healthz`, { signal: AbortSignal.timeout(2000) })).status).toBe(200);
    } finally {
      const stopped = await exporter.stop();
      expect(stopped.code).toBe(0);
      expect(stopped.ms).toBeLessThan(5000);
    }
  });
});

describe('an --api.ca-file without a certificate (item 8)', () => {
  let pki: TestPki;
  beforeAll(() => {
    pki = createTestPki();
  });
  afterAll(() => pki.remove());

  test('--config.check and start-up refuse it, naming the file', async () => {
    for (const args of [['--config.check'], []]) {
      const run = await runCli([...args, `--api.ca-file=${pki.serverKey}`], {
        ITNIO_API_KEY: KEY,
        ITNIO_API_SECRET: SECRET,
      });
      expect(run.status).toBe(1);
      expect(run.stderr).toContain(
        `--api.ca-file: "${pki.serverKey}" is not valid: it holds a private key and no certificate`,
      );
      expect(run.stderr).not.toContain('PRIVATE KEY');
    }
  });

  test('a reload refuses it once the file no longer holds one', async () => {
    const caFile = join(dir, 'ca.pem');
    writeFileSync(caFile, pki.read(pki.caCert));
    const file = join(dir, 'reload-ca.yml');
    writeFileSync(
      file,
      `accounts:\n  - name: shop\n    api_key: ${KEY}\n    api_secret: ${SECRET}\n    base_url: ${simulator.baseUrl}\n`,
    );
    const exporter = await startExporterProcess(
      [`--config.file=${file}`, `--api.ca-file=${caFile}`, '--web.enable-lifecycle'],
      {},
    );
    try {
      writeFileSync(caFile, 'not a certificate\n');
      const result = await reloadWith(exporter, file, readFileSync(file, 'utf8'));
      expect(result.status).toBe(500);
      expect(result.body).toContain(`--api.ca-file: "${caFile}" is not valid: it holds no PEM certificate`);
    } finally {
      await exporter.stop();
    }
  });
});
