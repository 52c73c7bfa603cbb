import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startExporter, type RunningExporter } from '../../src/exporter/start-exporter';
import { createLogger } from '../../src/log/logger';
import type { Scheduler } from '../../src/polling/scheduler';
import { startSimulator, type Simulator } from '../../src/simulator/simulator';
import { ACCOUNT_A, ACCOUNT_B, minuteConfigFor } from '../support/exporter-harness';
import { eventually } from '../support/exporter-process';
import { fetchUrl } from '../support/https-request';

const MINUTE = 60_000;

/** The exporter with a hand-ticked scheduler and one clock (exporter and simulator) the test moves. */
describe('back-off on -15 in a running exporter', () => {
  const dir = mkdtempSync(join(tmpdir(), 'itniotech-backoff-'));
  let simulator: Simulator;
  let exporter: RunningExporter;
  let tick: () => void = () => undefined;
  let clock = Date.now();
  const scheduler: Scheduler = { start: (t) => void (tick = t), stop: async () => undefined };

  /** Lets the tick's polls start, then waits for them to finish (or fails, saying so). */
  const idle = async (): Promise<void> => {
    await new Promise((r) => setTimeout(r, 5));
    await eventually(() => (exporter.poller.busy ? undefined : true), 'the poll cycle to finish', 30_000);
  };
  const metric = async (): Promise<string> => (await fetchUrl(`${exporter.url}/metrics`)).body;
  const gaugeOf = (text: string, account: string): string | undefined =>
    new RegExp(`^itniotech_poll_backoff_seconds\\{account="${account}"\\} (\\S+)$`, 'm').exec(text)?.[1];

  beforeAll(async () => {
    simulator = await startSimulator({ accounts: [{ ...ACCOUNT_A, failStatus: '-15' }, ACCOUNT_B], now: () => clock });
    const config = minuteConfigFor(dir, simulator, [
      ['alpha', ACCOUNT_A],
      ['bravo', ACCOUNT_B],
    ]);
    exporter = await startExporter(config, { logger: createLogger('silent'), scheduler, now: () => clock });
    await idle();
  });
  afterAll(async () => {
    await exporter?.close();
    await simulator?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the rate-limited account shows its back-off on /metrics and the page, the other does not, until ITNIO answers it', async () => {
    expect(gaugeOf(await metric(), 'alpha')).toBe('120');
    expect(gaugeOf(await metric(), 'bravo')).toBe('0');
    const status = JSON.parse((await fetchUrl(`${exporter.url}/api/v1/status`)).body) as {
      accounts: { name: string; backoff: unknown }[];
    };
    expect(status.accounts.find((a) => a.name === 'alpha')?.backoff).toEqual({
      seconds: 120,
      streak: 1,
      nextPollAt: expect.any(String),
    });
    expect(status.accounts.find((a) => a.name === 'bravo')?.backoff).toBeNull();
    const page = (await fetchUrl(`${exporter.url}/`)).body;
    expect(page).toMatch(
      /data-field="backoff"><strong><span aria-hidden="true">⏳<\/span> Backing off:<\/strong> ITNIO answered “frequent query” \(status -15\) 1 time in a row, so this account is polled every 2 min/,
    );

    // Minutes 1..6: alpha is polled at 2 and 6 only, bravo every minute.
    for (let minute = 1; minute <= 6; minute++) {
      clock += MINUTE;
      tick();
      await idle();
    }
    expect(simulator.requestCount(ACCOUNT_A.apiKey)).toBe(3);
    expect(simulator.requestCount(ACCOUNT_B.apiKey)).toBe(7);
    expect(gaugeOf(await metric(), 'alpha')).toBe('480');

    simulator.update(ACCOUNT_A.apiKey, { failStatus: null });
    for (let minute = 7; minute <= 15; minute++) {
      clock += MINUTE;
      tick();
      await idle();
    }
    // Skipped until minute 14, polled again then and, back at the normal pace, at 15.
    expect(simulator.requestCount(ACCOUNT_A.apiKey)).toBe(5);
    expect(gaugeOf(await metric(), 'alpha')).toBe('0');
    const after = JSON.parse((await fetchUrl(`${exporter.url}/api/v1/status`)).body) as {
      accounts: { name: string; backoff: unknown }[];
    };
    expect(after.accounts.find((a) => a.name === 'alpha')?.backoff).toBeNull();
    expect((await fetchUrl(`${exporter.url}/`)).body).not.toMatch(/\(status -15\) \d+ time/);
  });
});
