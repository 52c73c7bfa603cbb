import { buildSignedHeaders } from '../../src/itnio/signing';
import { DEMO_ACCOUNTS } from '../../src/simulator/demo-accounts';
import { startSimulator, type SimulatedNumber, type Simulator } from '../../src/simulator/simulator';

const KEY = 'numKey01';
const SECRET = 'num-secret';
const NOW = Date.UTC(2026, 11, 3, 4, 0, 0); // 12:00 at UTC+8

function numbers(count: number): SimulatedNumber[] {
  return Array.from({ length: count }, (_, i) => ({
    number: String(4470000000 + i),
    country: i % 7 === 0 ? null : 'United Kingdom',
    type: i % 2 === 0 ? 'MOBILE' : 'FIXED',
    state: [3, 3, 4, 5, 3, 9][i % 6] as number,
    dueInDays: i,
  }));
}

interface Answer {
  status: string | number;
  reason?: string;
  data: { total: number; pages: number; current: number; size: number; records: Array<Record<string, unknown>> };
}

let simulator: Simulator;
beforeEach(async () => {
  simulator = await startSimulator({
    now: () => NOW,
    accounts: [
      { apiKey: KEY, apiSecret: SECRET, balance: 1, gift: 0, credit: 0, spendPerHour: 0, numbers: numbers(250) },
    ],
  });
});
afterEach(() => simulator.close());

async function queryPage(
  body: unknown,
  { root = simulator.url, secret = SECRET, method = 'POST', at = NOW } = {},
): Promise<{ http: number; json: Answer }> {
  const response = await fetch(`${root}/number/queryPage`, {
    method,
    headers: buildSignedHeaders(KEY, secret, at),
    ...(method === 'POST' ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  const isJson = response.headers.get('content-type')?.startsWith('application/json') ?? false;
  return { http: response.status, json: (isJson ? JSON.parse(text) : { status: text }) as Answer };
}

describe('simulator number/queryPage', () => {
  it('pages 250 numbers in pages of 100 with ITNIO paging fields, status a string and null fields', async () => {
    const pages = await Promise.all([1, 2, 3, 4].map((current) => queryPage({ current, size: 100, params: {} })));
    expect(pages.map((p) => p.json.data.records.length)).toEqual([100, 100, 50, 0]);
    const first = pages[0]!.json;
    expect(first).toMatchObject({ status: '0', reason: 'success', data: { total: 250, pages: 3, current: 1 } });
    expect(typeof first.data.total).toBe('number');
    expect(first.data.size).toBe(20); // echoed as in ITNIO's sample, not the size asked for
    const all = pages.flatMap((p) => p.json.data.records);
    expect(new Set(all.map((r) => r.number)).size).toBe(250);
    expect(all[0]).toMatchObject({ number: '4470000000', country: null, state: 3, dueDate: '2026-12-03' });
    expect(all[10]).toMatchObject({ dueDate: '2026-12-13', voicemailFileId: null });
  });

  it('serves the white-label /v3 root too', async () => {
    const page = await queryPage({ current: 1, size: 5, params: {} }, { root: simulator.whiteLabelBaseUrl });
    expect(page.json.data.records).toHaveLength(5);
  });

  it('filters by params.appId', async () => {
    const page = await queryPage({ current: 1, size: 100, params: { appId: 'other' } });
    expect(page.json.data).toMatchObject({ total: 0, pages: 0, records: [] });
  });

  it.each([
    ['no params', { current: 1, size: 100 }],
    ['current 0', { current: 0, size: 100, params: {} }],
    ['size 101', { current: 1, size: 101, params: {} }],
    ['size 0', { current: 1, size: 0, params: {} }],
    ['size as a string', { current: 1, size: '100', params: {} }],
    ['appId not a string', { current: 1, size: 100, params: { appId: 7 } }],
    ['not JSON', '{"current":1,'],
  ])('answers -22 parameter exception for %s', async (_, body) => {
    expect((await queryPage(body)).json).toEqual({ status: '-22', reason: 'parameter exception' });
  });

  it('checks the signature and the timestamp like getBalance', async () => {
    expect((await queryPage({ current: 1, size: 1, params: {} }, { secret: 'wrong' })).json.status).toBe('-1');
    const stale = await queryPage({ current: 1, size: 1, params: {} }, { at: NOW - 3_600_000 });
    expect(stale.json.status).toBe('-16');
  });

  it('refuses GET with 405', async () => {
    expect((await queryPage(undefined, { method: 'GET' })).http).toBe(405);
  });

  it('logs each request with its path, key, signature check and body, for tests to read', async () => {
    await queryPage({ current: 2, size: 100, params: {} });
    await queryPage({ current: 1, size: 1, params: {} }, { secret: 'wrong' });
    const log = simulator.requestLog();
    expect(log).toEqual([
      expect.objectContaining({
        at: NOW,
        method: 'POST',
        path: '/number/queryPage',
        apiKey: KEY,
        signed: true,
        contentType: 'application/json;charset=UTF-8',
        body: { current: 2, size: 100, params: {} },
      }),
      expect.objectContaining({ signed: false }),
    ]);
    expect(simulator.numbersRequestCount(KEY)).toBe(2);
    expect(simulator.requestCount(KEY)).toBe(0); // getBalance's count stays its own
    const viaHttp = (await (await fetch(`${simulator.url}/_sim/requests`)).json()) as { requests: unknown[] };
    expect(viaHttp.requests).toHaveLength(2);
  });

  it('misbehaves on demand: a status, a page erroring halfway, a moving total, HTTP faults', async () => {
    const body = (current: number): unknown => ({ current, size: 100, params: {} });
    simulator.update(KEY, { numbersFailStatus: '-32' });
    expect((await queryPage(body(1))).json.status).toBe('-32');
    simulator.update(KEY, { numbersFailStatus: null, numbersFault: 'page_error' });
    expect((await queryPage(body(1))).json.status).toBe('0');
    expect((await queryPage(body(2))).json.status).toBe('-18');
    simulator.update(KEY, { numbersFault: 'total_changes' });
    expect((await queryPage(body(1))).json.data.total).not.toBe((await queryPage(body(2))).json.data.total);
    simulator.update(KEY, { numbersFault: 'http500' });
    expect((await queryPage(body(1))).http).toBe(500);
    simulator.update(KEY, { numbersFault: 'status_as_number' });
    expect((await queryPage(body(1))).json.status).toBe(0);
    simulator.update(KEY, { numbersFault: null });
    expect((await queryPage(body(1))).json.status).toBe('0');
  });

  it('refuses an unknown numbersFault on its control route', async () => {
    const response = await fetch(`${simulator.url}/_sim/accounts/${KEY}`, {
      method: 'PUT',
      body: JSON.stringify({ numbersFault: 'explode' }),
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('page_error');
  });
});

describe('demo numbers', () => {
  it('each demo account rents numbers in mixed states, exactly one in use due within a week', () => {
    const all = DEMO_ACCOUNTS.flatMap((a) => a.numbers ?? []);
    const inUse = all.filter((n) => n.state === 3);
    expect(DEMO_ACCOUNTS.every((a) => (a.numbers ?? []).length > 0)).toBe(true);
    expect(inUse.filter((n) => n.dueInDays !== undefined && n.dueInDays < 7)).toHaveLength(1);
    expect(new Set(all.map((n) => n.state))).toEqual(new Set([3, 4, 5]));
    expect(all.some((n) => n.country === null)).toBe(true);
  });
});
