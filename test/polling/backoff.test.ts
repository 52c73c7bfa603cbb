import type { Account } from '../../src/config/account';
import type { BalanceClient, BalanceOutcome } from '../../src/itnio/client';
import { AccountStore } from '../../src/store/account-store';
import { PollBackoff, type BackoffStreak } from '../../src/polling/backoff';
import { BALANCE_POLL, balancePollKind } from '../../src/polling/balance-kind';
import { Poller, type PollResult } from '../../src/polling/poller';

const MINUTE = 60_000;
const RATE_LIMITED: BalanceOutcome = { kind: 'api_error', status: '-15', reason: 'frequent query' };
const OK: BalanceOutcome = { kind: 'success', balance: 1, gift: 0, credit: 0 };
const account = (name: string): Account => ({
  name,
  apiKey: `key-${name}`,
  apiSecret: 's',
  baseUrl: 'http://127.0.0.1:9',
});

/** Runs outcomes through the policy the way the store does, keeping the streak between them. */
function streakOf(backoff: PollBackoff) {
  let streak: BackoffStreak | undefined;
  return {
    record(outcome: BalanceOutcome, startedMs: number) {
      const next = backoff.next(streak, outcome, startedMs);
      streak = next.streak;
      return next.state;
    },
    allows: (nowMs: number) => backoff.allows(streak, nowMs),
  };
}

describe('PollBackoff', () => {
  test('HTTP 429 backs off as -15 does, and waits at least its Retry-After (issue 20 item 10)', () => {
    const backoff = new PollBackoff({ gapMs: MINUTE, maxAgeMs: 60 * MINUTE });
    const http429 = (retryAfterMs?: number): BalanceOutcome => ({
      kind: 'failure',
      reason: 'http_status',
      detail: 'HTTP 429',
      rateLimited: true,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    });
    const a = streakOf(backoff);
    // Without Retry-After: the -15 doubling (2, 4 gaps).
    expect([a.record(http429(), 0).seconds, a.record(http429(), MINUTE).seconds]).toEqual([120, 240]);
    // A Retry-After longer than the doubled interval wins, up to the cap (max-age minus a gap).
    expect(a.record(http429(30 * MINUTE), 2 * MINUTE)).toMatchObject({ seconds: 1800, nextPollSteadyMs: 32 * MINUTE });
    expect(a.record(http429(24 * 60 * MINUTE), 3 * MINUTE).seconds).toBe(59 * 60);
    expect(a.allows(3 * MINUTE + 58 * MINUTE)).toBe(false);
    // Any other answer ends it, as after -15.
    expect(a.record(OK, 4 * MINUTE)).toEqual({ seconds: 0, streak: 0, change: 'ended' });
    // Another HTTP error is not a rate limit.
    const b = streakOf(backoff);
    expect(b.record({ kind: 'failure', reason: 'http_status', detail: 'HTTP 500' }, 0).seconds).toBe(0);
  });

  test('each consecutive -15 doubles the interval up to max-age minus one gap', () => {
    const backoff = new PollBackoff({ gapMs: MINUTE, maxAgeMs: 10 * MINUTE });
    expect(backoff.capMs).toBe(9 * MINUTE);
    const a = streakOf(backoff);
    const seen = [0, 1, 2, 3, 4].map((i) => a.record(RATE_LIMITED, i * MINUTE));
    expect(seen.map((s) => s.seconds)).toEqual([120, 240, 480, 540, 540]);
    expect(seen.map((s) => s.streak)).toEqual([1, 2, 3, 4, 5]);
    expect(seen.map((s) => s.change)).toEqual(['started', 'widened', 'widened', 'widened', undefined]);
    expect(seen[4]?.nextPollSteadyMs).toBe(4 * MINUTE + 9 * MINUTE);
  });

  test.each<[string, BalanceOutcome]>([
    ['a success', OK],
    ['another status', { kind: 'api_error', status: '-1', reason: 'auth' }],
    ['a request failure', { kind: 'failure', reason: 'timeout', detail: 'no answer' }],
  ])('%s ends it; an aborted poll changes nothing', (_, outcome) => {
    const a = streakOf(new PollBackoff({ gapMs: MINUTE, maxAgeMs: 60 * MINUTE }));
    a.record(RATE_LIMITED, 0);
    expect(a.record({ kind: 'aborted' }, MINUTE)).toEqual({
      seconds: 120,
      streak: 1,
      nextPollSteadyMs: 2 * MINUTE,
    });
    expect(a.allows(MINUTE)).toBe(false);
    expect(a.record(outcome, MINUTE)).toEqual({ seconds: 0, streak: 0, change: 'ended' });
    expect(a.allows(MINUTE)).toBe(true);
    expect(a.record(outcome, 2 * MINUTE)).toEqual({ seconds: 0, streak: 0 });
  });

  test('a max-age of two gaps leaves nothing to widen: the account keeps its pace', () => {
    const a = streakOf(new PollBackoff({ gapMs: MINUTE, maxAgeMs: 2 * MINUTE }));
    expect(a.record(RATE_LIMITED, 0)).toEqual({ seconds: 0, streak: 0 });
    expect(a.allows(MINUTE)).toBe(true);
  });
});

describe('Poller back-off on -15', () => {
  test('the rate-limited account is polled less and less often, the other keeps its interval, and it recovers at the first success', async () => {
    let steady = 0;
    const answers: Record<string, BalanceOutcome> = { busy: RATE_LIMITED, calm: OK };
    const polledAt: Record<string, number[]> = { busy: [], calm: [] };
    const client: BalanceClient = {
      fetchBalance: async (acc) => {
        const { name } = acc as Account;
        polledAt[name]?.push(steady / MINUTE);
        return answers[name] as BalanceOutcome;
      },
    };
    const results: PollResult[] = [];
    const store = new AccountStore({
      accounts: [account('busy'), account('calm')],
      maxAgeMs: 10 * MINUTE,
      now: () => steady,
      backoff: { gapMs: MINUTE, maxAgeMs: 10 * MINUTE },
    });
    const poller = new Poller({
      kinds: [balancePollKind(client)],
      concurrency: 2,
      steadyNow: () => steady,
      onResult: (r) => {
        const backoff = store.record(r);
        results.push({ ...(r as PollResult), ...(backoff ? { backoff } : {}) });
      },
    });
    // One scheduled tick a minute for 40 minutes; from minute 30 ITNIO answers the busy account again.
    for (let minute = 0; minute <= 40; minute++) {
      steady = minute * MINUTE;
      if (minute === 30) answers.busy = OK;
      await poller.poll(BALANCE_POLL, store.due(steady));
    }
    expect(polledAt.calm).toEqual(Array.from({ length: 41 }, (_, i) => i));
    // Gaps of 2, 4 and 8 minutes, then the cap of 9 (max-age 10m minus one interval); the poll
    // at 32 succeeds and the account is back to every minute.
    expect(polledAt.busy).toEqual([0, 2, 6, 14, 23, 32, 33, 34, 35, 36, 37, 38, 39, 40]);
    const busy = results.filter((r) => r.account.name === 'busy');
    expect(busy.slice(0, 7).map((r) => [r.backoff?.seconds, r.backoff?.change])).toEqual([
      [120, 'started'],
      [240, 'widened'],
      [480, 'widened'],
      [540, 'widened'],
      [540, undefined],
      [0, 'ended'],
      [0, undefined],
    ]);
  });
});
