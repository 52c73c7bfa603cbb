import { AccountStore } from '../../src/store/account-store';
import type { Account } from '../../src/config/account';
import type { BalanceClient, BalanceOutcome } from '../../src/itnio/client';
import { BALANCE_POLL, balancePollKind } from '../../src/polling/balance-kind';
import { Poller, type PollResult } from '../../src/polling/poller';

const account = (name: string): Account => ({
  name,
  apiKey: `key-${name}`,
  apiSecret: 's',
  baseUrl: 'http://127.0.0.1:9',
});

/** A client whose requests stay open until the test releases them. */
function heldClient() {
  const open = new Map<string, Array<(o: BalanceOutcome) => void>>();
  let inFlight = 0;
  let maxInFlight = 0;
  const client: BalanceClient = {
    fetchBalance: (acc, signal) =>
      new Promise((resolve) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        const done = (o: BalanceOutcome): void => {
          inFlight--;
          resolve(o);
        };
        signal?.addEventListener('abort', () => done({ kind: 'aborted' }));
        // The poller hands the client the configured account itself.
        const { name } = acc as Account;
        open.set(name, [...(open.get(name) ?? []), done]);
      }),
  };
  const release = (name: string): void => {
    const list = open.get(name) ?? [];
    list.shift()?.({ kind: 'success', balance: 1, gift: 0, credit: 0 });
  };
  return { client, open, release, stats: () => ({ inFlight, maxInFlight }) };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

interface PollerSetup {
  client: BalanceClient;
  accounts: Account[];
  concurrency: number;
  onResult?: (r: PollResult) => void;
  onListenerError?: (e: unknown) => void;
}

/** A store and a poller wired as the exporter wires them: the poller polls the store's entries, and nothing else. */
function polling(options: PollerSetup) {
  const store = new AccountStore({ accounts: options.accounts, maxAgeMs: 3_600_000 });
  const poller = new Poller({
    kinds: [balancePollKind(options.client)],
    concurrency: options.concurrency,
    onResult: (r) => {
      store.record(r);
      options.onResult?.(r as PollResult);
    },
    ...(options.onListenerError ? { onListenerError: options.onListenerError } : {}),
  });
  return {
    store,
    poller,
    pollAll: () => poller.poll(BALANCE_POLL, store.targets()),
    pollSome: (names: string[]) =>
      poller.poll(
        BALANCE_POLL,
        store.targets().filter((t) => names.includes(t.account.name)),
      ),
    // Nothing tells the poller: the entries the store drops end their own polls.
    setAccounts: (accounts: Account[]) => store.setAccounts(accounts),
  };
}

/** One account, "a", whose requests the test releases by hand; every result is kept in order. */
function heldAccountA() {
  const held = heldClient();
  const results: PollResult[] = [];
  const run = polling({
    client: held.client,
    accounts: [account('a')],
    concurrency: 2,
    onResult: (r) => results.push(r),
  });
  return { held, results, run };
}

describe('Poller', () => {
  test('never has more than `concurrency` requests in flight', async () => {
    const held = heldClient();
    const results: PollResult[] = [];
    const accounts = Array.from({ length: 10 }, (_, i) => account(`a${i}`));
    const run = polling({
      client: held.client,
      accounts,
      concurrency: 3,
      onResult: (r) => results.push(r),
    });
    const all = run.pollAll();
    await tick();
    expect(held.stats().inFlight).toBe(3);
    for (let round = 0; round < 10; round++) {
      for (const a of accounts) held.release(a.name);
      await tick();
    }
    await all;
    expect(held.stats().maxInFlight).toBe(3);
    expect(results.map((r) => r.account.name).sort()).toEqual(accounts.map((a) => a.name).sort());
  });

  test('a poll of an account never overlaps a still-running poll of the same account', async () => {
    const held = heldClient();
    const results: PollResult[] = [];
    const run = polling({
      client: held.client,
      accounts: [account('slow'), account('fast')],
      concurrency: 4,
      onResult: (r) => results.push(r),
    });
    void run.pollAll();
    await tick();
    held.release('fast');
    await tick();
    // Next tick while "slow" is still running: only "fast" gets a new request.
    void run.pollAll();
    await tick();
    expect(held.open.get('slow')).toHaveLength(1);
    expect(held.open.get('fast')).toHaveLength(1);
    held.release('slow');
    held.release('fast');
    await tick();
    expect(results.map((r) => r.account.name)).toEqual(['fast', 'slow', 'fast']);
  });

  test('stop() aborts in-flight polls and later ticks do nothing', async () => {
    const held = heldClient();
    const results: PollResult[] = [];
    const run = polling({
      client: held.client,
      accounts: [account('a'), account('b')],
      concurrency: 1,
      onResult: (r) => results.push(r),
    });
    const all = run.pollAll();
    await tick();
    run.poller.stop();
    await all;
    expect(results.map((r) => r.outcome.kind)).toEqual(['aborted']);
    await run.pollAll();
    expect(held.stats().inFlight).toBe(0);
  });

  test('a throwing client or listener does not stop the loop', async () => {
    const errors: unknown[] = [];
    let calls = 0;
    const run = polling({
      client: {
        fetchBalance: async (): Promise<BalanceOutcome> => {
          calls++;
          throw new Error('bug');
        },
      },
      accounts: [account('a'), account('b')],
      concurrency: 1,
      onResult: (r) => {
        if (r.account.name === 'a') throw new Error('listener bug');
        expect(r.outcome).toEqual({ kind: 'failure', reason: 'network', detail: 'bug' });
      },
      onListenerError: (e) => errors.push(e),
    });
    await run.pollAll();
    expect(calls).toBe(2);
    expect(errors).toHaveLength(1);
  });
});

describe('Poller after a reload of the store', () => {
  test('drops queued polls of removed accounts and aborts their in-flight requests', async () => {
    const held = heldClient();
    const results: PollResult[] = [];
    const accounts = [account('gone'), account('queued-gone'), account('kept')];
    const run = polling({
      client: held.client,
      accounts,
      concurrency: 1,
      onResult: (r) => results.push(r),
    });
    const all = run.pollAll();
    await tick();
    expect(held.open.get('gone')).toHaveLength(1);
    run.setAccounts([{ ...account('kept'), lowBalanceThreshold: 9 }]);
    await tick();
    await tick();
    // "gone" was aborted, "queued-gone" never sent, "kept" is polled with its new entry.
    expect(held.open.has('queued-gone')).toBe(false);
    held.release('kept');
    await all;
    expect(results.map((r) => [r.account.name, r.outcome.kind, r.account.lowBalanceThreshold])).toEqual([
      ['gone', 'aborted', undefined],
      ['kept', 'success', 9],
    ]);
  });
});

test('an account removed and added back while its aborted poll settles is polled again at once', async () => {
  const held = heldClient();
  const run = polling({
    client: held.client,
    accounts: [account('a')],
    concurrency: 2,
    onResult: () => undefined,
  });
  void run.pollAll();
  await tick();
  expect(held.open.get('a')).toHaveLength(1);
  run.setAccounts([]);
  run.setAccounts([account('a')]);
  void run.pollAll();
  await tick();
  // The first request was aborted (resolved) and a second one is open.
  expect(held.open.get('a')).toHaveLength(2);
  expect(held.stats().inFlight).toBe(1);
  held.release('a');
  held.release('a');
  run.poller.stop();
});

test("a reload that changes an account's key aborts its in-flight poll and lets it be polled again at once", async () => {
  const { held, results, run } = heldAccountA();
  void run.pollAll();
  await tick();
  expect(held.open.get('a')).toHaveLength(1);
  const changed = { ...account('a'), apiKey: 'rotated' };
  run.setAccounts([changed]);
  const again = run.pollSome(['a']);
  await tick();
  // The old request was aborted; a new one, with the new key, is in flight.
  expect(results.map((r) => [r.outcome.kind, r.account.apiKey])).toEqual([['aborted', 'key-a']]);
  expect(held.open.get('a')).toHaveLength(2);
  held.open.get('a')?.pop()?.({ kind: 'success', balance: 2, gift: 0, credit: 0 });
  await again;
  expect(results.map((r) => [r.outcome.kind, r.account.apiKey])).toEqual([
    ['aborted', 'key-a'],
    ['success', 'rotated'],
  ]);
});

test("a reload that rotates an account's secret aborts its in-flight poll, signed with the old one", async () => {
  const { held, results, run } = heldAccountA();
  void run.pollAll();
  await tick();
  const before = run.store.target('a');
  run.setAccounts([{ ...account('a'), apiSecret: 'rotated-secret' }]);
  await tick();
  // The same entry (the same ITNIO account), but the request signed with the old secret is gone.
  expect(run.store.target('a')).toBe(before);
  expect(results.map((r) => r.outcome.kind)).toEqual(['aborted']);
  const again = run.pollSome(['a']);
  await tick();
  held.open.get('a')?.pop()?.({ kind: 'success', balance: 2, gift: 0, credit: 0 });
  await again;
  expect(results.map((r) => [r.outcome.kind, r.account.apiSecret])).toEqual([
    ['aborted', account('a').apiSecret],
    ['success', 'rotated-secret'],
  ]);
});

test('a reload that changes only the threshold keeps the in-flight poll', async () => {
  const { held, results, run } = heldAccountA();
  const all = run.pollAll();
  await tick();
  run.setAccounts([{ ...account('a'), lowBalanceThreshold: 3 }]);
  await tick();
  held.release('a');
  await all;
  expect(results.map((r) => r.outcome.kind)).toEqual(['success']);
});
