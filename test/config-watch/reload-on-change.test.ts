/**
 * The built exporter reloads by itself when a file it was read from changes, and never applies a
 * file caught half written: a Secret volume swapped as the kubelet swaps it (issue 19), and a
 * 200-account file rewritten line by line under a SIGHUP every 50 ms (issue 20, item 4).
 */
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator, type Simulator } from '../../src/simulator/simulator';
import { ACCOUNT_A } from '../support/exporter-harness';
import { eventually, startExporterProcess, type ExporterProcess } from '../support/exporter-process';
import { fetchUrl } from '../support/https-request';
import { parseSamples } from '../support/prom-text';
import { kubeletSwap, secretVolumeDir } from '../kubernetes/pod';

const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

describe('reloading on file changes (node dist/main.js)', () => {
  let dir: string;
  let simulator: Simulator;
  const exporters: ExporterProcess[] = [];
  const scrape = async (exporter: ExporterProcess): Promise<Map<string, number>> =>
    parseSamples((await fetchUrl(`${exporter.url}/metrics`)).body);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'itnio-watch-'));
    simulator = await startSimulator({ accounts: [{ ...ACCOUNT_A }] });
  });

  afterAll(async () => {
    for (const exporter of exporters) await exporter.stop();
    await simulator?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('a rotated Secret, swapped as the kubelet swaps it, is used within seconds; a broken one keeps the old', async () => {
    const volume = secretVolumeDir(
      join(dir, 'secrets'),
      { name: 'secrets', secret: { secretName: 'itniotech-exporter' } },
      {
        metadata: { name: 'itniotech-exporter' },
        data: { 'api-secret': Buffer.from(`${ACCOUNT_A.apiSecret}\n`).toString('base64') },
      },
      undefined,
    );
    const exporter = await startExporterProcess(['--poll.interval=1s'], {
      ITNIO_API_KEY: ACCOUNT_A.apiKey,
      ITNIO_API_SECRET_FILE: join(volume, 'api-secret'),
      ITNIO_BASE_URL: simulator.baseUrl,
    });
    exporters.push(exporter);
    const up = 'itniotech_up{account="default"}';
    const refused = 'itniotech_api_errors_total{account="default",status="-1"}';
    const reloadOk = 'itniotech_exporter_config_last_reload_successful';
    const reloadTime = 'itniotech_exporter_config_last_reload_success_timestamp_seconds';
    await eventually(async () => ((await scrape(exporter)).get(up) === 1 ? true : undefined), 'the first good poll');
    const started = (await scrape(exporter)).get(reloadTime) as number;

    // ITNIO issues a new secret; the old one is refused from now on, until the Secret reaches the pod.
    const rotated = 'rotated-secret-value-2';
    simulator.update(ACCOUNT_A.apiKey, { apiSecret: rotated });
    await eventually(async () => ((await scrape(exporter)).get(up) === 0 ? true : undefined), 'the old secret refused');
    const swapped = Date.now();
    kubeletSwap(volume, { 'api-secret': `${rotated}\n` }, '..2026_12_03_12_00_00.000000002');
    const reloaded = await eventually(
      () => exporter.logs().find((l) => l.msg === 'configuration reloaded' && l.trigger === 'file change'),
      'a reload on the file change',
      15_000,
    );
    // A rotated secret is the same ITNIO account: it keeps its counters and history.
    expect(reloaded).toMatchObject({ accounts: ['default'], replaced: [] });
    const good = await eventually(async () => {
      const samples = await scrape(exporter);
      return samples.get(up) === 1 ? samples : undefined;
    }, 'a good poll with the new secret');
    console.log(`the swapped Secret was in use ${Date.now() - swapped} ms after the swap`);
    expect(good.get(reloadOk)).toBe(1);
    expect(good.get(reloadTime)).toBeGreaterThan(started);
    // Every poll since used the whole new secret: none more was refused.
    const refusedAfter = good.get(refused) as number;
    expect(refusedAfter).toBeGreaterThan(0);
    const polls = good.get('itniotech_requests_total{account="default"}') as number;
    await eventually(async () => {
      const samples = await scrape(exporter);
      return (samples.get('itniotech_requests_total{account="default"}') as number) >= polls + 2 ? samples : undefined;
    }, 'two more polls');
    expect((await scrape(exporter)).get(refused)).toBe(refusedAfter);

    // A broken new Secret (an empty secret): the reload fails, says why, and the running secret stays in use.
    const mark = exporter.logs().length;
    kubeletSwap(volume, { 'api-secret': '\n' }, '..2026_12_03_12_05_00.000000003');
    const failed = await eventually(
      () =>
        exporter
          .logs()
          .slice(mark)
          .find((l) => l.msg === 'configuration reload failed; the running configuration stays'),
      'the failed reload',
      15_000,
    );
    expect(failed).toMatchObject({ level: 'error', trigger: 'file change' });
    expect(String(failed.problems)).toMatch(/ITNIO_API_SECRET_FILE: .*empty/);
    const before = await scrape(exporter);
    expect(before.get(reloadOk)).toBe(0);
    const count = before.get('itniotech_requests_total{account="default"}') as number;
    const after = await eventually(async () => {
      const samples = await scrape(exporter);
      return (samples.get('itniotech_requests_total{account="default"}') as number) >= count + 2 ? samples : undefined;
    }, 'two more polls on the running secret');
    expect(after.get(up)).toBe(1);
    expect(after.get(refused)).toBe(refusedAfter);
    expect(exporter.stdout.join('\n')).not.toContain(rotated);
  }, 60_000);

  test('a 200-account file rewritten line by line under SIGHUP every 50 ms: no scrape misses an account kept', async () => {
    const file = join(dir, 'accounts.yml');
    const accountsFile = (names: string[]): string =>
      `accounts:\n${names
        .map(
          (name) =>
            `  - name: ${name}\n    api_key: ${ACCOUNT_A.apiKey}\n    api_secret: ${simulatorSecret()}\n    base_url: ${simulator.baseUrl}\n`,
        )
        .join('')}`;
    const simulatorSecret = (): string => 'rotated-secret-value-2';
    simulator.update(ACCOUNT_A.apiKey, { apiSecret: simulatorSecret() });
    const names = (prefix: string, from: number, to: number): string[] =>
      Array.from({ length: to - from }, (_, i) => `${prefix}${String(from + i).padStart(3, '0')}`);
    const kept = names('acc', 0, 190);
    writeFileSync(file, accountsFile([...kept, ...names('old', 190, 200)]));
    const newFile = accountsFile([...kept, ...names('new', 190, 200)]);
    // Polls at start-up and for new accounts only; SIGHUP reloads (watching is off: SIGHUP is the subject here).
    const exporter = await startExporterProcess(
      [`--config.file=${file}`, '--poll.interval=24h', '--poll.max-age=48h'],
      {
        ITNIO_CONFIG_WATCH: 'false',
      },
    );
    exporters.push(exporter);
    await eventually(
      async () => ((await fetchUrl(`${exporter.url}/readyz`)).status === 200 ? true : undefined),
      'ready',
    );

    const misses: string[] = [];
    let scrapes = 0;
    let scraping = true;
    const scraper = (async () => {
      while (scraping) {
        const samples = await scrape(exporter);
        scrapes += 1;
        const missing = kept.filter((name) => !samples.has(`itniotech_up{account="${name}"}`));
        if (missing.length > 0)
          misses.push(`scrape ${scrapes}: ${missing.length} of ${kept.length} kept accounts missing`);
      }
    })();
    const hangups = setInterval(() => exporter.child.kill('SIGHUP'), 50);
    const started = Date.now();
    let wroteMs = 0;
    try {
      // As `cat > file` or a script writing line by line would: truncated first, then a line at a time.
      const fd = openSync(file, 'w');
      for (const line of newFile.split(/(?<=\n)/)) {
        writeSync(fd, line);
        await sleep(1);
      }
      closeSync(fd);
      wroteMs = Date.now() - started;
      await sleep(1500);
    } finally {
      clearInterval(hangups);
    }
    const final = await eventually(
      async () => {
        const samples = await scrape(exporter);
        return names('new', 190, 200).every((n) => samples.has(`itniotech_up{account="${n}"}`)) ? samples : undefined;
      },
      'the new accounts',
      20_000,
    );
    scraping = false;
    await scraper;
    const reloads = exporter.logs().filter((l) => l.msg === 'configuration reloaded').length;
    console.log(
      `rewrite ${wroteMs} ms, new accounts served ${Date.now() - started} ms after it began; ${reloads} reloads, ${scrapes} scrapes, ${misses.length} missed kept accounts`,
    );
    expect(misses).toEqual([]);
    expect(scrapes).toBeGreaterThan(5);
    expect([...final.keys()].filter((k) => k.startsWith('itniotech_up{')).length).toBe(200);
    expect(final.get('itniotech_exporter_config_last_reload_successful')).toBe(1);
  }, 60_000);

  test('SIGTERM while a file keeps changing stops at once, not when the settling reload gives up', async () => {
    const file = join(dir, 'changing.yml');
    const accountsFile = (n: number): string =>
      `accounts:\n  - name: acc${n}\n    api_key: ${ACCOUNT_A.apiKey}\n    api_secret: x${n}\n    base_url: ${simulator.baseUrl}\n`;
    let n = 0;
    writeFileSync(file, accountsFile(n));
    const exporter = await startExporterProcess([`--config.file=${file}`, '--poll.interval=1h']);
    exporters.push(exporter);
    // One change starts a reload; from then on the file is rewritten every 100 ms, so the reload
    // waits for it to settle (up to 30 s) until the exporter has gone.
    // The watch starts just after the listening line; a change before it waits for the 10 s rescan.
    await sleep(500);
    writeFileSync(file, accountsFile(++n));
    let writer: NodeJS.Timeout | undefined;
    try {
      await eventually(
        () => exporter.logs().find((l) => l.msg === 'a configuration file changed; reloading'),
        'a reload on the changing file',
        15_000,
      );
      writer = setInterval(() => writeFileSync(file, accountsFile(++n)), 100);
      await sleep(700);
      const { code, ms } = await exporter.stop('SIGTERM');
      console.log(`stopped ${ms} ms after SIGTERM during a settling reload`);
      expect(code).toBe(0);
      expect(ms).toBeLessThan(5_000);
    } finally {
      clearInterval(writer);
    }
    expect(exporter.logs().some((l) => l.msg === 'configuration reloaded')).toBe(false);
  }, 40_000);
});
