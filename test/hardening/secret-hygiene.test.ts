import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signRequest } from '../../src/itnio/signing';
import { startSimulator, type AccountPatch, type Simulator } from '../../src/simulator/simulator';
import { eventually, startExporterProcess, type ExporterProcess } from '../support/exporter-process';
import { runCli } from '../support/run-cli';
import { scrapeSamples } from '../support/scrape';

const KEY = 'KEYzq8Wv3x';
const SECRET = 'SECRETpq7Yt2Lm';

/** Everything the exporter showed anyone during the test: logs, outputs, pages, headers, error messages. */
const seen: Array<{ where: string; text: string }> = [];
const record = (where: string, text: string): void => void seen.push({ where, text });

let firstSecond = Math.floor(Date.now() / 1000);

async function fetchAll(base: string, label: string): Promise<void> {
  for (const path of ['/', '/api/v1/status', '/metrics', '/healthz', '/readyz', '/no-such-page', '/metrics?x=1']) {
    const response = await fetch(`${base}${path}`);
    record(`${label} ${path} headers`, JSON.stringify([...response.headers]));
    record(`${label} ${path} body`, await response.text());
  }
}

function recordProcess(label: string, exporter: ExporterProcess): void {
  record(`${label} stdout`, exporter.stdout.join('\n'));
  record(`${label} stderr`, exporter.stderr.join(''));
}

describe('secret hygiene: the key, the secret and every Sign stay out of everything the exporter shows', () => {
  let dir: string;
  let simulator: Simulator;

  beforeAll(async () => {
    firstSecond = Math.floor(Date.now() / 1000);
    dir = mkdtempSync(join(tmpdir(), 'itnio-secrets-'));
    simulator = await startSimulator({
      accounts: [{ apiKey: KEY, apiSecret: SECRET, balance: 31.5, gift: 1, credit: 2, spendPerHour: 0 }],
    });
  });
  afterAll(async () => {
    await simulator?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const env = (): Record<string, string> => ({
    ITNIO_API_KEY: KEY,
    ITNIO_API_SECRET: SECRET,
    ITNIO_ACCOUNT: 'shop',
    ITNIO_BASE_URL: simulator.baseUrl,
  });

  test.each(['trace', 'debug'])(
    'serving at --log.level=%s through success and every kind of failure',
    async (level) => {
      const exporter = await startExporterProcess(
        [`--log.level=${level}`, '--poll.interval=1s', '--api.timeout=1s'],
        env(),
      );
      try {
        const failures = (reason: string): string =>
          `itniotech_request_failures_total{account="shop",reason="${reason}"}`;
        const steps: Array<[string, AccountPatch, string]> = [
          ['success', {}, 'itniotech_last_success_timestamp_seconds{account="shop"}'],
          ['api_error -1', { failStatus: '-1' }, 'itniotech_api_errors_total{account="shop",status="-1"}'],
          ['api_error -16', { failStatus: '-16' }, 'itniotech_api_errors_total{account="shop",status="-16"}'],
          ['http_status', { fault: 'http500' }, failures('http_status')],
          ['redirect', { fault: 'redirect' }, failures('http_status')],
          ['invalid_response', { fault: 'html' }, failures('invalid_response')],
          ['timeout', { fault: 'hang' }, failures('timeout')],
          ['network', { fault: 'reset' }, failures('network')],
        ];
        // Trace shows every path; debug adds only the success line, so two steps cover what it adds.
        for (const [what, patch, series] of level === 'trace' ? steps : steps.slice(0, 2)) {
          const before = (await scrapeSamples(`${exporter.url}/metrics`)).get(series) ?? 0;
          simulator.update(KEY, { fault: null, failStatus: null, ...patch });
          await eventually(
            async () =>
              ((await scrapeSamples(`${exporter.url}/metrics`)).get(series) ?? 0) > before ? true : undefined,
            `${what}: ${series} to rise`,
          );
          await fetchAll(exporter.url, `${level} after ${what}`);
        }
        // A sanity check that logs are being captured at all, so an empty capture cannot pass.
        expect(exporter.logs().some((l) => l.level === 'warn' && l.account === 'shop')).toBe(true);
        if (level === 'debug')
          expect(exporter.logs().some((l) => l.level === 'debug' && l.msg === 'poll succeeded')).toBe(true);
      } finally {
        simulator.update(KEY, { fault: null, failStatus: null });
        await exporter.stop();
        recordProcess(`serve ${level}`, exporter);
      }
    },
  );

  test('--check succeeding and failing', async () => {
    const ok = await runCli(['--check'], env());
    expect(ok.status).toBe(0);
    simulator.update(KEY, { failStatus: '-1' });
    const failed = await runCli(['--check'], env());
    simulator.update(KEY, { failStatus: null });
    expect(failed.status).toBe(1);
    const refused = await runCli(['--check', '--api.timeout=500ms'], {
      ...env(),
      ITNIO_BASE_URL: 'http://127.0.0.1:9/sms',
    });
    expect(refused.status).toBe(1);
    for (const [label, run] of [
      ['ok', ok],
      ['failed', failed],
      ['refused', refused],
    ] as const)
      record(`--check ${label}`, run.stdout + run.stderr);
  });

  test('bad configurations, with the secret in the environment, in a YAML file and in a flag', async () => {
    const inEnv = await runCli(['--poll.interval=45s'], env());
    const yamlElsewhere = join(dir, 'elsewhere.yml');
    writeFileSync(
      yamlElsewhere,
      `accounts:\n  - name: shop\n    api_key: ${KEY}\n    api_secret: ${SECRET}\n    low_balance_threshold: lots\n    colour: blue\n`,
    );
    const inYaml = await runCli([`--config.file=${yamlElsewhere}`]);
    const yamlBroken = join(dir, 'broken.yml');
    // A syntax error on the secret's own line, where a parser is most tempted to quote it.
    writeFileSync(yamlBroken, `accounts:\n  - name: shop\n    api_key: ${KEY}\n    api_secret: ${SECRET}: [\n`);
    const broken = await runCli([`--config.file=${yamlBroken}`]);
    const asFlag = await runCli([`--api.secret=${SECRET}`, `--api.key=${KEY}`], env());
    // The Go-exporter habit: value after a space, so the parser sees it as a stray argument.
    const asSpacedFlag = await runCli(['--api.secret', SECRET, '--api.key', KEY], env());
    for (const [label, run] of [
      ['env', inEnv],
      ['yaml', inYaml],
      ['broken yaml', broken],
      ['flag', asFlag],
      ['spaced flag', asSpacedFlag],
    ] as const) {
      expect(run.status).toBe(1);
      expect(run.stderr).toContain('invalid configuration');
      record(`bad config ${label}`, run.stdout + run.stderr);
    }
  });

  test('nothing shown contains the secret, the full key, or a Sign from the test window', () => {
    const lastSecond = Math.floor(Date.now() / 1000);
    // Every Sign the exporter could have sent during the test, with a margin either side.
    const signs = new Set<string>();
    for (let t = firstSecond - 5; t <= lastSecond + 5; t++) signs.add(signRequest(KEY, SECRET, String(t)));
    expect(seen.length).toBeGreaterThan(50);
    const leaks: string[] = [];
    for (const { where, text } of seen) {
      if (text.includes(SECRET)) leaks.push(`${where}: the secret`);
      if (text.includes(KEY)) leaks.push(`${where}: the full key`);
      for (const hex of text.match(/[0-9a-f]{32}/g) ?? []) if (signs.has(hex)) leaks.push(`${where}: a Sign (${hex})`);
    }
    expect(leaks).toEqual([]);
  });
});
