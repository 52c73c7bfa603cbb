import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator, type Simulator } from '../../src/simulator/simulator';
import { inCI } from '../support/binaries';
import { ACCOUNT_A } from '../support/exporter-harness';
import { eventually, startExporterProcess, type ExporterProcess } from '../support/exporter-process';
import { fetchUrl } from '../support/https-request';
import { sampleValue } from '../support/prom-text';

/*
 * The wall clock of the exporter process steps while it runs, through libfaketime (Debian's
 * `faketime` package): its Date moves by what the test writes to a file, its monotonic clock
 * does not. The simulator runs in this process, on the real clock, as ITNIO would.
 */
const LIBFAKETIME = '/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1';
const haveFaketime = existsSync(LIBFAKETIME);
const describeFaketime = haveFaketime || inCI ? describe : describe.skip;
if (!haveFaketime && !inCI)
  console.warn(`skipping clock-step tests: ${LIBFAKETIME} missing (apt-get install -y faketime)`);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describeFaketime('the wall clock steps under a running exporter (libfaketime)', () => {
  let dir: string;
  let simulator: Simulator;
  let exporter: ExporterProcess;
  const offsetFile = (): string => join(dir, 'faketime');
  const stepTo = (offset: string): void => writeFileSync(offsetFile(), `${offset}\n`);
  const requests = (): number => simulator.requestCount(ACCOUNT_A.apiKey);
  const metrics = async (): Promise<string> => (await fetchUrl(`${exporter.url}/metrics`)).body;
  const stepLines = (): Array<Record<string, unknown>> =>
    exporter.logs().filter((l) => typeof l.clock_step_seconds === 'number');

  beforeAll(async () => {
    if (!haveFaketime) throw new Error(`CI=true but ${LIBFAKETIME} is missing: apt-get install -y faketime`);
    dir = mkdtempSync(join(tmpdir(), 'itnio-clock-'));
    stepTo('+0');
    simulator = await startSimulator({ accounts: [{ ...ACCOUNT_A, spendPerHour: 0 }] });
    exporter = await startExporterProcess(
      [`--api.base-url=${simulator.baseUrl}`, '--poll.interval=1s', '--poll.max-age=1m'],
      {
        ITNIO_API_KEY: ACCOUNT_A.apiKey,
        ITNIO_API_SECRET: ACCOUNT_A.apiSecret,
        LD_PRELOAD: LIBFAKETIME,
        FAKETIME_TIMESTAMP_FILE: offsetFile(),
        FAKETIME_NO_CACHE: '1',
        FAKETIME_DONT_FAKE_MONOTONIC: '1',
      },
    );
    await eventually(() => (requests() >= 2 ? true : undefined), 'two polls before any step');
  }, 30_000);

  afterAll(async () => {
    await exporter?.stop();
    await simulator?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('an hour back: polling keeps its interval, -16 is counted, ages stay true, one log line', async () => {
    const before = requests();
    stepTo('-1h');
    await sleep(4000);
    // About one poll a second by real time, not none for an hour.
    expect(requests() - before).toBeGreaterThanOrEqual(3);
    expect(requests() - before).toBeLessThanOrEqual(6);
    const text = await metrics();
    // The Timestamp is now an hour off ITNIO's clock: the API refuses, and that is counted.
    expect(sampleValue(text, 'itniotech_api_errors_total{account="default",status="-16"}')).toBeGreaterThanOrEqual(2);
    expect(sampleValue(text, 'itniotech_up{account="default"}')).toBe(0);
    expect((await fetchUrl(`${exporter.url}/healthz`)).status).toBe(200);
    const status = JSON.parse((await fetchUrl(`${exporter.url}/api/v1/status`)).body) as {
      accounts: Array<{ state: string; lastSuccessAgeSeconds: number; lastError: { code: string } }>;
    };
    // The last success was seconds ago by real time: not "0 s ago", not an hour in the future.
    expect(status.accounts[0]).toMatchObject({ state: 'failing', lastError: { code: '-16' } });
    expect(status.accounts[0]?.lastSuccessAgeSeconds).toBeGreaterThanOrEqual(2);
    expect(status.accounts[0]?.lastSuccessAgeSeconds).toBeLessThan(30);
    expect(stepLines()).toHaveLength(1);
    expect(stepLines()[0]).toMatchObject({ level: 'warn', clock_step_seconds: -3600 });
  }, 20_000);

  test('a day forward at a 1 s interval: no replay of missed slots, /healthz answers, the log stays short', async () => {
    const before = requests();
    const linesBefore = exporter.stdout.length;
    stepTo('+1d');
    const healthz: number[] = [];
    for (let i = 0; i < 8; i++) {
      const started = performance.now();
      expect((await fetchUrl(`${exporter.url}/healthz`)).status).toBe(200);
      healthz.push(performance.now() - started);
      await sleep(400);
    }
    expect(Math.max(...healthz)).toBeLessThan(1000);
    expect(requests() - before).toBeGreaterThanOrEqual(2);
    expect(requests() - before).toBeLessThanOrEqual(6);
    expect(stepLines()).toHaveLength(2);
    expect(stepLines()[1]).toMatchObject({ clock_step_seconds: 90_000 });
    // A handful of lines (poll failures, the step), not one per missed slot.
    expect(exporter.stdout.length - linesBefore).toBeLessThan(20);
    const stopped = await exporter.stop();
    expect(stopped.code).toBe(0);
    expect(stopped.ms).toBeLessThan(5000);
  }, 20_000);
});
