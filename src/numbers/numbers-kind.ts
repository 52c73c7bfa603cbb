import type { NumbersClient, NumbersOutcome } from '../itnio/numbers-client';
import type { PollKind } from '../polling/kind';
import { NUMBERS_POLL } from './numbers-samples';

/**
 * number/queryPage as a kind of poll. An account that opts out (`numbers: false`) is answered
 * `aborted` at once, without a request: the store records nothing for it.
 */
export function numbersPollKind(client: NumbersClient): PollKind<NumbersOutcome> {
  return {
    name: NUMBERS_POLL,
    poll: (account, signal) =>
      account.numbers === false
        ? Promise.resolve({ kind: 'aborted', requests: 0 })
        : client.fetchNumbers(account, signal),
  };
}

/**
 * The numbers poll's cron expression: the interval's, moved off the getBalance slots by half the
 * getBalance gap (at most 30 s) so the two requests of one key are not sent in the same second.
 */
export function numbersSchedule(intervalExpression: string, balanceGapMs: number): string {
  const offsetSeconds = Math.floor(Math.min(balanceGapMs / 2, 30_000) / 1000);
  const [seconds, ...rest] = intervalExpression.split(' ');
  return seconds === '0' && offsetSeconds > 0 ? [String(offsetSeconds), ...rest].join(' ') : intervalExpression;
}
