import { AccountStore, type AccountStatus } from '../../src/store/account-store';
import type { Account } from '../../src/config/account';
import type { BalanceOutcome } from '../../src/itnio/client';
import type { PollResult } from '../../src/polling/poller';

const HOUR = 3_600_000;
const account = (name: string, extra: Partial<Account> = {}): Account => ({
  name,
  apiKey: 'k',
  apiSecret: 's',
  baseUrl: 'http://127.0.0.1:9/sms',
  ...extra,
});
/** A result as the poller hands it over: for the account's entry in the store at the time. */
const poll = (store: AccountStore, name: string, finishedAt: number, outcome: BalanceOutcome): PollResult => ({
  ...(store.target(name) ? { target: store.target(name) } : {}),
  account: account(name),
  outcome,
  startedAt: finishedAt - 250,
  finishedAt,
  finishedSteadyMs: finishedAt,
  durationSeconds: 0.25,
});
const ok = (balance: number): BalanceOutcome => ({ kind: 'success', balance, gift: 1, credit: 2 });

/** A clock the test sets. */
function clock(start: number): { now: () => number; set(ms: number): void } {
  let t = start;
  return { now: () => t, set: (ms) => void (t = ms) };
}

describe('AccountStore', () => {
  test('keeps successful polls only in the history, per configured account', () => {
    const time = clock(0);
    const store = new AccountStore({ accounts: [account('a')], maxAgeMs: HOUR, now: time.now });
    store.record(poll(store, 'a', 1000, ok(10)));
    store.record(poll(store, 'a', 2000, { kind: 'api_error', status: '-1', reason: 'authentication error' }));
    store.record(poll(store, 'a', 3000, { kind: 'failure', reason: 'timeout', detail: 'slow' }));
    store.record(poll(store, 'unknown', 3000, ok(1)));
    time.set(5000);
    expect(store.points('a').map((p) => p.balance)).toEqual([10]);
    expect(store.points('unknown')).toEqual([]);
    // One poll: no spend rate yet (not a rate of 0).
    expect(store.spendPerDay('a')).toBeUndefined();
    store.record(poll(store, 'a', 4000, ok(10)));
    expect(store.spendPerDay('a')).toBe(0);
  });

  test('records a result once: outcome, last good values and their time, the error in words', () => {
    const store = new AccountStore({ accounts: [account('a')], maxAgeMs: HOUR });
    store.record(poll(store, 'a', 1000, ok(10)));
    store.record(poll(store, 'a', 2000, { kind: 'api_error', status: '-16', reason: 'timestamp error' }));
    expect(store.get('a')).toEqual<AccountStatus>({
      name: 'a',
      lastAttemptMs: 2000,
      lastSuccessMs: 1000,
      lastOk: false,
      values: { balance: 10, gift: 1, credit: 2 },
      lastError: {
        kind: 'api_error',
        code: '-16',
        meaning: 'timestamp outside the allowed time range (clock skew)',
        detail: 'timestamp error',
        atMs: 2000,
      },
    });
    store.record(poll(store, 'a', 3000, { kind: 'failure', reason: 'network', detail: 'ECONNRESET' }));
    expect(store.get('a')?.lastError).toMatchObject({
      kind: 'failure',
      code: 'network',
      meaning: 'network or TLS error',
    });
  });

  test('an aborted poll changes nothing and tells no one', () => {
    const store = new AccountStore({ accounts: [account('a')], maxAgeMs: HOUR });
    const seen: string[] = [];
    store.subscribe({ onResult: (r) => seen.push(r.outcome.kind) });
    const before = store.changeCount;
    store.record(poll(store, 'a', 1000, { kind: 'aborted' }));
    expect(store.changeCount).toBe(before);
    expect(seen).toEqual([]);
    expect(store.allAttempted()).toBe(false);
  });

  test('subscribers see each result after it is applied, in subscription order', () => {
    const store = new AccountStore({ accounts: [account('a'), account('b')], maxAgeMs: HOUR });
    const seen: string[] = [];
    store.subscribe({ onResult: (r, status) => seen.push(`first ${r.account.name} ${status.values?.balance}`) });
    const stop = store.subscribe({ onResult: (r) => seen.push(`second ${r.account.name}`) });
    store.record(poll(store, 'a', 1000, ok(7)));
    stop();
    store.record(poll(store, 'b', 1000, ok(8)));
    expect(seen).toEqual(['first a 7', 'second a', 'first b 8']);
    expect(store.allAttempted()).toBe(true);
  });

  test('setAccounts keeps the state of kept accounts, drops removed ones and reports the new', () => {
    const store = new AccountStore({ accounts: [account('a'), account('gone')], maxAgeMs: HOUR, now: () => 5000 });
    store.record(poll(store, 'a', 1000, ok(10)));
    store.record(poll(store, 'gone', 1000, ok(5)));
    const told: Array<[string[], string[]]> = [];
    store.subscribe({ onAccounts: (all, { added }) => told.push([all.map((x) => x.name), added.map((x) => x.name)]) });
    const before = store.changeCount;
    const { added, replaced } = store.setAccounts([account('a', { lowBalanceThreshold: 50 }), account('new')]);
    expect(added.map((a) => a.name)).toEqual(['new']);
    expect(replaced).toEqual([]);
    expect(told).toEqual([[['a', 'new'], ['new']]]);
    expect(store.changeCount).toBeGreaterThan(before);
    expect(store.configured().map((a) => a.name)).toEqual(['a', 'new']);
    expect(store.get('a')).toMatchObject({ lowBalanceThreshold: 50, values: { balance: 10 } });
    expect(store.points('a')).toHaveLength(1);
    expect(store.get('gone')).toBeUndefined();
    expect(store.points('gone')).toEqual([]);
    // A late result of the removed account is not recorded.
    store.record(poll(store, 'gone', 2000, ok(4)));
    expect(store.get('gone')).toBeUndefined();
    expect(store.allAttempted()).toBe(false);
    store.setAccounts([account('a')]);
    expect(store.get('a')?.lowBalanceThreshold).toBeUndefined();
  });

  test.each([
    ['key', { apiKey: 'other-key' }],
    ['base URL', { baseUrl: 'http://127.0.0.1:9/other' }],
  ])('a changed %s makes it another account: state and history dropped, old polls discarded', (_what, change) => {
    const store = new AccountStore({ accounts: [account('a')], maxAgeMs: HOUR, now: () => 5000 });
    store.record(poll(store, 'a', 1000, ok(10)));
    const before = poll(store, 'a', 1500, ok(999));
    const { added, replaced } = store.setAccounts([account('a', change)]);
    expect(added).toEqual([]);
    expect(replaced.map((a) => a.name)).toEqual(['a']);
    expect(store.get('a')).toEqual({ name: 'a' });
    expect(store.points('a')).toEqual([]);
    expect(store.allAttempted()).toBe(false);
    // A poll sent with the old credentials lands after the reload: not recorded.
    store.record(before);
    expect(store.get('a')).toEqual({ name: 'a' });
    expect(store.points('a')).toEqual([]);
    // One with the new credentials is.
    store.record({ ...poll(store, 'a', 2000, ok(7)), account: account('a', change) });
    expect(store.get('a')?.values?.balance).toBe(7);
    expect(store.points('a').map((p) => p.balance)).toEqual([7]);
  });

  test('a rotated secret is the same account: state, history and back-off kept, polls signed with the old secret discarded', () => {
    const backoff = { gapMs: 60_000, maxAgeMs: HOUR };
    const store = new AccountStore({ accounts: [account('a')], maxAgeMs: HOUR, now: () => 5000, backoff });
    store.record(poll(store, 'a', 1000, ok(10)));
    store.record(poll(store, 'a', 1200, { kind: 'api_error', status: '-15', reason: 'frequent query' }));
    const backingOff = store.get('a')?.backoff;
    expect(backingOff).toBeDefined();
    const before = poll(store, 'a', 1500, ok(999));
    const rotated = account('a', { apiSecret: 'rotated-secret' });
    const { added, replaced } = store.setAccounts([rotated]);
    expect(added).toEqual([]);
    expect(replaced).toEqual([]);
    expect(store.get('a')?.values?.balance).toBe(10);
    expect(store.get('a')?.backoff).toEqual(backingOff);
    expect(store.points('a')).toHaveLength(1);
    expect(store.due(5000)).toEqual([]);
    // Sent with the old secret, answered after the rotation: not recorded, not current.
    expect(store.isCurrent(store.target('a'), before.account)).toBe(false);
    store.record(before);
    expect(store.get('a')?.values?.balance).toBe(10);
    // Signed with the new secret: recorded on the same entry.
    expect(store.isCurrent(store.target('a'), rotated)).toBe(true);
    store.record({ ...poll(store, 'a', 2000, ok(7)), account: rotated });
    expect(store.get('a')?.values?.balance).toBe(7);
    expect(store.points('a').map((p) => p.balance)).toEqual([10, 7]);
  });

  test('a changed threshold alone keeps state and history', () => {
    const store = new AccountStore({ accounts: [account('a')], maxAgeMs: HOUR, now: () => 5000 });
    store.record(poll(store, 'a', 1000, ok(10)));
    const { replaced } = store.setAccounts([account('a', { lowBalanceThreshold: 5 })]);
    expect(replaced).toEqual([]);
    expect(store.get('a')?.values?.balance).toBe(10);
    expect(store.points('a')).toHaveLength(1);
    // A poll in flight across that reload still counts: same ITNIO account.
    store.record(poll(store, 'a', 2000, ok(9)));
    expect(store.get('a')?.values?.balance).toBe(9);
  });
});
