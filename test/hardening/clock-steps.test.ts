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

/** Polls the simulator saw in `elapsedMs` of real time may be at most one a second, plus slack. */
const atMostOneASecond = (polls: number, elapsedMs: number): boolean => polls <= elapsedMs / 1000 + 2;

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
  /** `count` more polls after `before`, however long a loaded machine takes for them. */
  const polls = (before: number, count: number): Promise<true> =>
    eventually(() => (requests() - before >= count ? true : undefined), `${count} polls after the step`, 30_000);

  // Each test gets its own exporter, started on the true time: no test depends on another's step.
  beforeEach(async () => {
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
    await polls(0, 2);
  }, 60_000);

  afterEach(async () => {
    await exporter?.stop();
    await simulator?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('an hour back: polling keeps its interval, -16 is counted, ages stay true, one log line', async () => {
    const before = requests();
    const stepped = performance.now();
    stepTo('-1h');
    // Polling goes on by real time (not none for an hour), and no faster than the interval.
    await polls(before, 3);
    expect(atMostOneASecond(requests() - before, performance.now() - stepped)).toBe(true);
    // The Timestamp is now an hour off ITNIO's clock: the API refuses, and that is counted.
    const minus16 = 'itniotech_api_errors_total{account="default",status="-16"}';
    await eventually(async () => ((sampleValue(await metrics(), minus16) ?? 0) >= 2 ? true : undefined), '2 × -16');
    expect(sampleValue(await metrics(), 'itniotech_up{account="default"}')).toBe(0);
    expect((await fetchUrl(`${exporter.url}/healthz`)).status).toBe(200);
    const status = JSON.parse((await fetchUrl(`${exporter.url}/api/v1/status`)).body) as {
      accounts: Array<{ state: string; lastSuccessAgeSeconds: number; lastError: { code: string } }>;
    };
    // The last success was seconds ago by real time: not "0 s ago", not an hour in the future.
    expect(status.accounts[0]).toMatchObject({ state: 'failing', lastError: { code: '-16' } });
    expect(status.accounts[0]?.lastSuccessAgeSeconds).toBeGreaterThanOrEqual(1);
    expect(status.accounts[0]?.lastSuccessAgeSeconds).toBeLessThan(120);
    expect(stepLines()).toHaveLength(1);
    expect(stepLines()[0]).toMatchObject({ level: 'warn', clock_step_seconds: -3600 });
  }, 90_000);

  test('a day forward at a 1 s interval: no replay of missed slots, /healthz answers, the log stays short', async () => {
    const before = requests();
    const linesBefore = exporter.stdout.length;
    const stepped = performance.now();
    stepTo('+1d');
    for (let i = 0; i < 8; i++) {
      expect((await fetchUrl(`${exporter.url}/healthz`)).status).toBe(200);
      await new Promise((r) => setTimeout(r, 400));
    }
    await polls(before, 2);
    // A replay would be 86 400 polls at once; by real time it is one a second.
    expect(atMostOneASecond(requests() - before, performance.now() - stepped)).toBe(true);
    await eventually(() => (stepLines().length > 0 ? true : undefined), 'the clock-step log line');
    expect(stepLines()).toHaveLength(1);
    expect(stepLines()[0]).toMatchObject({ clock_step_seconds: 86_400 });
    // A handful of lines (poll failures, the step), not one per missed slot.
    expect(exporter.stdout.length - linesBefore).toBeLessThan(20 + 2 * (requests() - before));
    const stopped = await exporter.stop();
    // 0: it stopped on SIGTERM by itself, before the harness's SIGKILL 10 s later.
    expect(stopped.code).toBe(0);
  }, 90_000);
});
