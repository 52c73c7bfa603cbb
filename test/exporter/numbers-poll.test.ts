import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startExporter, type RunningExporter } from '../../src/exporter/start-exporter';
import { createLogger } from '../../src/log/logger';
import { startSimulator, type SimulatedNumber, type Simulator } from '../../src/simulator/simulator';
import { ACCOUNT_A, ACCOUNT_B, loadRunConfig } from '../support/exporter-harness';
import { eventually } from '../support/exporter-process';
import { handTicked } from '../support/hand-ticked';
import { PROMTOOL, testWithBinaries } from '../support/binaries';
import { fetchUrl } from '../support/https-request';

/**
 * Issue 18's done-when, in process: the numbers poll plugged into a real exporter against the
 * simulator serving 250 numbers over 3 pages (mixed states, nulls), then a failing endpoint.
 */

const HOUR = 3_600_000;
const STATES = [3, 3, 4, 5, 3, 9, null];

/** Number i: state STATES[i % 7]; country null every 5th; due 2027-01-01 plus i days. */
function rented(count: number): SimulatedNumber[] {
  return Array.from({ length: count }, (_, i) => ({
    number: String(4470000000 + i),
    ccode: i % 5 === 0 ? null : '44',
    country: i % 5 === 0 ? null : 'United Kingdom',
    type: i % 3 === 0 ? null : 'MOBILE',
    state: STATES[i % STATES.length] as number | null,
    dueDate: new Date(Date.UTC(2027, 0, 1 + i)).toISOString().slice(0, 10),
  }));
}

describe('the numbers poll in a running exporter', () => {
  const dir = mkdtempSync(join(tmpdir(), 'itniotech-numbers-'));
  let simulator: Simulator;
  let exporter: RunningExporter;
  let clock = Date.UTC(2026, 11, 3, 12);
  const balanceTicks = handTicked();
  const numbersTicks = handTicked();
  const logLines: Array<Record<string, unknown>> = [];

  const idle = (): Promise<true> =>
    eventually(() => (exporter.poller.busy ? undefined : true), 'every queued poll to finish');
  const metrics = async (): Promise<string> => (await fetchUrl(`${exporter.url}/metrics`)).body;
  const series = (text: string, prefix: string): string[] => text.split('\n').filter((l) => l.startsWith(prefix));
  const sample = (text: string, name: string): string | undefined => series(text, `${name} `)[0]?.split(' ')[1];
  const numbersPosts = (apiKey: string) =>
    simulator.requestLog().filter((r) => r.apiKey === apiKey && r.path === '/number/queryPage');

  beforeAll(async () => {
    simulator = await startSimulator({
      accounts: [
        { ...ACCOUNT_A, numbers: rented(250) },
        { ...ACCOUNT_B, numbers: rented(3) },
      ],
      now: () => clock,
    });
    const account = (name: string, a: typeof ACCOUNT_A, extra = ''): string => {
      writeFileSync(join(dir, name), `${a.apiSecret}\n`);
      return `  - name: ${name}\n    api_key: ${a.apiKey}\n    api_secret_file: ${join(dir, name)}\n${extra}`;
    };
    writeFileSync(
      join(dir, 'accounts.yml'),
      `accounts:\n${account('alpha', ACCOUNT_A, '    currency: EUR\n    labels:\n      team: payments\n')}${account('bravo', ACCOUNT_B, '    numbers: false\n')}`,
    );
    const config = loadRunConfig([
      '--web.listen-address=127.0.0.1:0',
      '--poll.interval=1m',
      '--collector.numbers',
      '--numbers.interval=1h',
      '--poll.max-age=2h',
      '--api.timeout=1s',
      `--api.base-url=${simulator.baseUrl}`,
      `--config.file=${join(dir, 'accounts.yml')}`,
    ]);
    const destination = { write: (line: string) => void logLines.push(JSON.parse(line) as Record<string, unknown>) };
    exporter = await startExporter(config, {
      logger: createLogger('info', destination),
      scheduler: balanceTicks,
      schedulers: { numbers: numbersTicks },
      now: () => clock,
    });
    await idle();
  });
  afterAll(async () => {
    await exporter?.close();
    await simulator?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('every in-use number has its due series at 00:00 UTC+8 of its due date; the state counts add up', async () => {
    const text = await metrics();
    const due = series(text, 'itniotech_number_due_timestamp_seconds{');
    const inUse = rented(250).filter((n) => n.state === 3);
    expect(due).toHaveLength(inUse.length);
    for (const n of inUse) {
      const labels = [
        `account="alpha"`,
        `number="${n.number}"`,
        `country="${n.country ?? ''}"`,
        `type="${n.type ?? ''}"`,
      ].join(',');
      const expected = Date.parse(`${n.dueDate as string}T00:00:00+08:00`) / 1000;
      expect(due).toContain(`itniotech_number_due_timestamp_seconds{${labels}} ${expected}`);
    }
    const count = (state: string): number =>
      Number(sample(text, `itniotech_numbers{account="alpha",state="${state}"}`));
    // By hand: 250 = 35 * 7 + 5 (rest 0..4): states 3,3,4,5,3 in the rest.
    expect([count('in_use'), count('expired'), count('disabled'), count('other')]).toEqual([108, 36, 36, 70]);
    expect(count('in_use') + count('expired') + count('disabled') + count('other')).toBe(250);
    expect(sample(text, 'itniotech_numbers_up{account="alpha"}')).toBe('1');
    // The poll's finish: the test clock at its start plus the poll's real duration.
    const lastSuccess = Number(sample(text, 'itniotech_numbers_last_success_timestamp_seconds{account="alpha"}'));
    expect(lastSuccess).toBeGreaterThanOrEqual(clock / 1000);
    expect(lastSuccess).toBeLessThan(clock / 1000 + 30);
    expect(sample(text, 'itniotech_numbers_requests_total{account="alpha"}')).toBe('3');
    // getBalance's counter counts getBalance only.
    expect(sample(text, 'itniotech_requests_total{account="alpha"}')).toBe('1');
    expect(series(text, 'itniotech_account_info{')).toEqual([
      'itniotech_account_info{account="alpha",currency="EUR",team="payments"} 1',
      'itniotech_account_info{account="bravo"} 1',
    ]);
  });

  test('the status page JSON and card show the numbers in use, the next due date and the currency', async () => {
    const status = JSON.parse((await fetchUrl(`${exporter.url}/api/v1/status`)).body) as {
      accounts: Array<{ name: string; currency: string | null; numbers: Record<string, unknown> | null }>;
    };
    const alpha = status.accounts.find((a) => a.name === 'alpha');
    expect(alpha?.currency).toBe('EUR');
    // The first in-use number is number 0, due 2027-01-01 at 00:00 UTC+8; the test clock is 2026-12-03 12:00 UTC.
    expect(alpha?.numbers).toMatchObject({
      up: true,
      counts: { in_use: 108, expired: 36, disabled: 36, other: 70 },
      nextDue: { number: '4470000000', dueDate: '2027-01-01', dueAt: '2026-12-31T16:00:00.000Z' },
      dueSoon: false,
    });
    expect((alpha?.numbers?.nextDue as { daysLeft: number }).daysLeft).toBeCloseTo(28.17, 1);
    expect(status.accounts.find((a) => a.name === 'bravo')?.numbers).toBeNull();
    const page = (await fetchUrl(`${exporter.url}/`)).body;
    expect(page).toContain(
      '<strong>Numbers:</strong> 108 in use · next due <time datetime="2026-12-31T16:00:00.000Z">2027-01-01</time>',
    );
    expect(page).toContain('data-field="currency">EUR</abbr>');
  });

  testWithBinaries([PROMTOOL], 'promtool check metrics accepts the numbers series (HELP, TYPE, names)', async () => {
    const text = await metrics();
    expect(text).toContain('# TYPE itniotech_numbers_api_errors_total counter');
    const result = spawnSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(`${result.stdout}${result.stderr}`.trim()).toBe('');
    expect(result.status).toBe(0);
  });

  test('the opted-out account is never asked for numbers and has no numbers series', async () => {
    expect(numbersPosts(ACCOUNT_B.apiKey)).toEqual([]);
    expect(series(await metrics(), 'itniotech_numbers_up{account="bravo"}')).toEqual([]);
  });

  test('signed POSTs with the documented body, on the numbers interval only', async () => {
    const first = numbersPosts(ACCOUNT_A.apiKey);
    expect(first.map((r) => [r.method, r.signed, r.contentType, r.body])).toEqual(
      [1, 2, 3].map((current) => ['POST', true, 'application/json;charset=UTF-8', { current, size: 100, params: {} }]),
    );
    // A minute of getBalance polls sends no numbers request.
    clock += 60_000;
    balanceTicks.tick();
    await idle();
    expect(numbersPosts(ACCOUNT_A.apiKey)).toHaveLength(3);
    clock += HOUR;
    numbersTicks.tick();
    await idle();
    const all = numbersPosts(ACCOUNT_A.apiKey);
    expect(all).toHaveLength(6);
    expect(all[3]!.at - all[2]!.at).toBeGreaterThanOrEqual(HOUR);
  });

  test.each([
    [
      '-32',
      { numbersFailStatus: '-32' },
      'itniotech_numbers_api_errors_total{account="alpha",status="-32"}',
      /status -32 .*API Key lacks permission/,
    ],
    [
      'a page erroring halfway',
      { numbersFault: 'page_error' },
      'itniotech_numbers_api_errors_total{account="alpha",status="-18"}',
      /page 2: port program exception/,
    ],
    [
      'a timeout',
      { numbersFault: 'hang' },
      'itniotech_numbers_request_failures_total{account="alpha",reason="timeout"}',
      /timeout \(no answer within the timeout\)/,
    ],
    [
      'a malformed body',
      { numbersFault: 'truncated' },
      'itniotech_numbers_request_failures_total{account="alpha",reason="invalid_response"}',
      /invalid_response .*body is not valid JSON/,
    ],
    [
      'a moving total',
      { numbersFault: 'total_changes' },
      'itniotech_numbers_request_failures_total{account="alpha",reason="invalid_response"}',
      /changed while it was paged/,
    ],
  ] as const)(
    '%s: counted and logged with its meaning; no due date faked; itniotech_up and the balance untouched',
    async (_, patch, counter, logged) => {
      const before = await metrics();
      const dueBefore = series(before, 'itniotech_number_due_timestamp_seconds{');
      const counted = Number(sample(before, counter));
      const balanceBefore = exporter.accounts.get('alpha');
      simulator.update(ACCOUNT_A.apiKey, patch);
      logLines.length = 0;
      // Within --poll.max-age of the last success: the last good numbers must still be there.
      clock += 60_000;
      numbersTicks.tick();
      await idle();
      simulator.update(ACCOUNT_A.apiKey, { numbersFailStatus: null, numbersFault: null });
      const after = await metrics();
      expect(sample(after, 'itniotech_numbers_up{account="alpha"}')).toBe('0');
      expect(Number(sample(after, counter))).toBe(counted + 1);
      expect(series(after, 'itniotech_number_due_timestamp_seconds{')).toEqual(dueBefore);
      expect(sample(after, 'itniotech_up{account="alpha"}')).toBe('1');
      expect(exporter.accounts.get('alpha')).toEqual(balanceBefore);
      const line = logLines.find((l) => l.poll === 'numbers' && l.level === 'warn');
      expect(line).toMatchObject({ account: 'alpha' });
      expect(String(line?.msg)).toMatch(logged);
    },
    20_000,
  );

  test('the last good due dates go after --poll.max-age of failures, the counts too; up and last success stay', async () => {
    simulator.update(ACCOUNT_A.apiKey, { numbersFailStatus: '-18' });
    clock += 3 * HOUR;
    numbersTicks.tick();
    await idle();
    simulator.update(ACCOUNT_A.apiKey, { numbersFailStatus: null });
    const text = await metrics();
    expect(series(text, 'itniotech_number_due_timestamp_seconds{')).toEqual([]);
    expect(series(text, 'itniotech_numbers{')).toEqual([]);
    expect(sample(text, 'itniotech_numbers_up{account="alpha"}')).toBe('0');
    expect(series(text, 'itniotech_numbers_last_success_timestamp_seconds{account="alpha"}')).toHaveLength(1);
  });

  test('a -15 from number/queryPage backs off getBalance for that key too', async () => {
    simulator.update(ACCOUNT_A.apiKey, { numbersFailStatus: '-15' });
    numbersTicks.tick();
    await idle();
    simulator.update(ACCOUNT_A.apiKey, { numbersFailStatus: null });
    expect(exporter.accounts.get('alpha')?.backoff?.seconds).toBeGreaterThan(60);
    const balanceRequests = simulator.requestCount(ACCOUNT_A.apiKey);
    clock += 60_000;
    balanceTicks.tick();
    await idle();
    expect(simulator.requestCount(ACCOUNT_A.apiKey)).toBe(balanceRequests);
  });
});
