import type { Account } from '../../src/config/account';
import { createLogger } from '../../src/log/logger';
import { describeBackoffChange, describeFailure, logPollResult } from '../../src/polling/poll-log';
import type { PollResult } from '../../src/polling/poller';

const account: Account = { name: 'shop', apiKey: 'k', apiSecret: 's', baseUrl: 'http://127.0.0.1:9/sms' };
const failed = (status: string): PollResult => ({
  account,
  outcome: { kind: 'api_error', status, reason: 'as ITNIO says it' },
  startedAt: 0,
  finishedAt: 100,
  finishedSteadyMs: 100,
  durationSeconds: 0.1,
});

describe('describeFailure', () => {
  // ITNIO's global status table (../shared/docs/itnio-api.md): each status is named and explained.
  test.each([
    ['-10', 'insufficient balance', 'top up the account'],
    ['-12', 'platform error', 'usually passes'],
    ['-29', 'WorkSpace disabled', 'enable it in the ITNIO console'],
    ['-30', 'API Key disabled', 'issue a new key'],
    ['-31', 'IP not in whitelist', "public IP address to the API key's IP whitelist"],
    ['-32', 'API Key lacks permission', 'may not call getBalance'],
  ])('status %s says what it means (%s) and what to do', (status, meaning, hint) => {
    const text = describeFailure(failed(status));
    expect(text).toContain(`status ${status}: ${meaning}`);
    expect(text).toContain('(ITNIO says "as ITNIO says it")');
    expect(text).toMatch(new RegExp(`; hint: .*${hint.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    expect(text).not.toContain('undocumented');
  });

  test('an unknown status is said to be undocumented, with its code', () => {
    expect(describeFailure(failed('-77'))).toMatch(/^status -77: undocumented status .*hint: not documented by ITNIO/);
  });
});

describe('back-off log lines', () => {
  test.each([
    [
      { seconds: 120, streak: 1, nextPollSteadyMs: 120_100, change: 'started' as const },
      'warn',
      /polled too often \(status -15\): backing off, polling it every 2m until it answers otherwise/,
    ],
    [
      { seconds: 240, streak: 2, nextPollSteadyMs: 240_100, change: 'widened' as const },
      'warn',
      /still rate limited \(status -15, 2 times in a row\): backing off further, polling it every 4m/,
    ],
    [{ seconds: 0, streak: 0, change: 'ended' as const }, 'info', /back-off ended: .* polled at the normal pace again/],
  ])('a line when back-off %#: starts, widens, ends', (backoff, level, text) => {
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger('debug', {
      write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>),
    });
    const result = { ...failed('-15'), backoff };
    expect(describeBackoffChange(result)).toMatch(text);
    logPollResult(logger, result);
    const line = lines.find((l) => text.test(String(l.msg)));
    expect(line).toMatchObject({ account: 'shop', backoff_seconds: backoff.seconds, backoff_streak: backoff.streak });
    expect(line?.level).toBe(level);
  });

  test('no line while the back-off stays as it was', () => {
    expect(
      describeBackoffChange({ ...failed('-15'), backoff: { seconds: 540, streak: 5, nextPollSteadyMs: 1 } }),
    ).toBeUndefined();
  });
});
