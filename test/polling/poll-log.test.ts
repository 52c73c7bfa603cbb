import type { Account } from '../../src/config/account';
import { describeFailure } from '../../src/polling/poll-log';
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
