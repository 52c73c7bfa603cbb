import { createNumbersClient, numbersRootUrl, type NumbersOutcome } from '../../src/itnio/numbers-client';
import { startSimulator, type SimulatedNumber, type Simulator } from '../../src/simulator/simulator';

const KEY = 'numKey01';
const SECRET = 'num-secret';

/** 250 numbers: states cycle 3,3,4,5,3,9; every seventh has null country; due 0..249 days out. */
function numbers(count: number): SimulatedNumber[] {
  return Array.from({ length: count }, (_, i) => ({
    number: String(4470000000 + i),
    country: i % 7 === 0 ? null : 'United Kingdom',
    type: i % 2 === 0 ? 'MOBILE' : null,
    state: [3, 3, 4, 5, 3, 9][i % 6] as number,
    dueDate: new Date(Date.UTC(2027, 0, 1 + i)).toISOString().slice(0, 10),
  }));
}

let simulator: Simulator;
beforeEach(async () => {
  simulator = await startSimulator({
    accounts: [
      { apiKey: KEY, apiSecret: SECRET, balance: 1, gift: 0, credit: 0, spendPerHour: 0, numbers: numbers(250) },
    ],
  });
});
afterEach(() => simulator.close());

const client = (timeoutMs = 2000) => createNumbersClient({ timeoutMs, dueDateUtcOffsetMinutes: 480 });
const fetchAll = (baseUrl = simulator.baseUrl, timeoutMs?: number): Promise<NumbersOutcome> =>
  client(timeoutMs).fetchNumbers({ apiKey: KEY, apiSecret: SECRET, baseUrl });

describe('numbersRootUrl', () => {
  it.each([
    ['https://api.itniotech.com/sms', 'https://api.itniotech.com'],
    ['https://api.itniotech.com/sms/', 'https://api.itniotech.com'],
    ['https://sms.example.com/v3', 'https://sms.example.com/v3'],
    ['https://sms.example.com/v3/', 'https://sms.example.com/v3'],
    ['http://127.0.0.1:8080/proxy/sms', 'http://127.0.0.1:8080/proxy'],
  ])('%s has its numbers at %s', (base, root) => {
    expect(numbersRootUrl(base)).toBe(root);
  });
});

describe('numbers client against the simulator', () => {
  it('reads 250 numbers over 3 signed POSTs with the documented body, each once', async () => {
    const outcome = await fetchAll();
    expect(outcome).toMatchObject({ kind: 'success', total: 250, requests: 3, skipped: [] });
    if (outcome.kind !== 'success') return;
    expect(new Set(outcome.numbers.map((n) => n.number)).size).toBe(250);
    const counts = { in_use: 0, expired: 0, disabled: 0, other: 0 };
    for (const n of outcome.numbers) counts[n.state]++;
    // By hand: i % 6 in {0,1,4} in use, 2 expired, 3 disabled, 5 other; 250 = 41 * 6 + 4 (rest 0..3).
    expect(counts).toEqual({ in_use: 41 * 3 + 2, expired: 42, disabled: 42, other: 41 });
    const first = outcome.numbers.find((n) => n.number === '4470000000');
    expect(first).toEqual({
      number: '4470000000',
      country: '',
      type: 'MOBILE',
      state: 'in_use',
      dueDate: '2027-01-01',
      dueAt: Date.parse('2026-12-31T16:00:00Z') / 1000,
    });
    const log = simulator.requestLog();
    expect(log.map((r) => [r.method, r.path, r.signed, r.contentType])).toEqual(
      Array(3).fill(['POST', '/number/queryPage', true, 'application/json;charset=UTF-8']),
    );
    expect(log.map((r) => r.body)).toEqual([1, 2, 3].map((current) => ({ current, size: 100, params: {} })));
  });

  it('uses the white-label /v3 root as it is', async () => {
    const outcome = await fetchAll(simulator.whiteLabelBaseUrl);
    expect(outcome.kind).toBe('success');
    expect(simulator.requestLog()[0]?.path).toBe('/v3/number/queryPage');
  });

  it('reads an account without numbers in one request', async () => {
    simulator.update(KEY, { numbers: [] });
    expect(await fetchAll()).toEqual({ kind: 'success', numbers: [], total: 0, skipped: [], requests: 1 });
  });

  it('reads the listing again when its total moves between pages, and gives up rather than guess', async () => {
    simulator.update(KEY, { numbersFault: 'total_changes' });
    const outcome = await fetchAll();
    expect(outcome).toMatchObject({ kind: 'failure', reason: 'invalid_response', requests: 6 });
    expect(outcome.kind === 'failure' && outcome.detail).toMatch(/changed while it was paged/);
  });

  it.each([
    ['-32', 'API Key lacks permission'],
    ['-15', 'query too frequently'],
    ['-24', 'unknown error'],
  ])('status %s is an API error from page 1', async (status, reason) => {
    simulator.update(KEY, { numbersFailStatus: status });
    expect(await fetchAll()).toMatchObject({ kind: 'api_error', status, page: 1, requests: 1 });
    void reason;
  });

  it('a page that errors halfway fails the whole poll: no partial listing', async () => {
    simulator.update(KEY, { numbersFault: 'page_error' });
    expect(await fetchAll()).toMatchObject({ kind: 'api_error', status: '-18', page: 2, requests: 2 });
  });

  it.each([
    ['html', 'invalid_response', /page 1: body is HTML/],
    ['truncated', 'invalid_response', /page 1: body is not valid JSON/],
    ['empty', 'invalid_response', /page 1: body is empty/],
    ['missing_field', 'invalid_response', /data\.pages/],
    ['not_a_number', 'invalid_response', /data\.total/],
    ['http500', 'http_status', /HTTP 500/],
    ['http429', 'http_status', /HTTP 429/],
    ['redirect', 'http_status', /HTTP 302/],
    ['hang', 'timeout', /within 300 ms/],
    ['reset', 'network', /./],
  ] as const)('fault %s is a %s failure', async (fault, reason, detail) => {
    simulator.update(KEY, { numbersFault: fault });
    const outcome = await fetchAll(simulator.baseUrl, 300);
    expect(outcome).toMatchObject({ kind: 'failure', reason });
    expect(outcome.kind === 'failure' && outcome.detail).toMatch(detail);
  });

  it('a JSON number as status still reads as success', async () => {
    simulator.update(KEY, { numbersFault: 'status_as_number' });
    expect((await fetchAll()).kind).toBe('success');
  });

  it('stops at once when shut down', async () => {
    simulator.update(KEY, { numbersFault: 'hang' });
    const shutdown = new AbortController();
    const pending = client(60_000).fetchNumbers(
      { apiKey: KEY, apiSecret: SECRET, baseUrl: simulator.baseUrl },
      shutdown.signal,
    );
    setTimeout(() => shutdown.abort(), 50);
    expect(await pending).toEqual({ kind: 'aborted', requests: 1 });
  });
});
