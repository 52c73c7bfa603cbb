import { statusHint, statusMeaning } from '../itnio/failures';
import type { Logger } from '../log/logger';
import type { PollResult } from './poller';

/** Seconds the local clock is ahead of the server's (negative: behind), when the server sent a Date. */
function clockSkewSeconds(result: PollResult): number | undefined {
  const { outcome } = result;
  if (outcome.kind !== 'api_error' || !outcome.serverDate) return undefined;
  // The Date header has whole-second precision; compare with the moment the request was sent.
  return Math.round((result.startedAt - outcome.serverDate.getTime()) / 1000);
}

/** A one-line human description of a failed poll, with the status meaning and what to do. */
export function describeFailure(result: PollResult): string {
  const { outcome } = result;
  if (outcome.kind === 'api_error') {
    let text = `status ${outcome.status}: ${statusMeaning(outcome.status)}`;
    if (outcome.reason) text += ` (ITNIO says "${outcome.reason}")`;
    if (outcome.status === '-16') {
      const skew = clockSkewSeconds(result);
      text +=
        skew === undefined
          ? '; the server sent no Date header to compare clocks with'
          : `; local clock ${new Date(result.startedAt).toISOString()}, server clock ${outcome.serverDate?.toISOString()}, skew ${skew > 0 ? '+' : ''}${skew}s`;
    }
    return `${text}; hint: ${statusHint(outcome.status)}`;
  }
  if (outcome.kind === 'failure') return `${outcome.reason}: ${outcome.detail}`;
  return outcome.kind;
}

/** The line when an account's back-off on -15 starts, widens or ends; undefined when nothing changed. */
export function describeBackoffChange(result: PollResult): string | undefined {
  const backoff = result.backoff;
  if (!backoff?.change) return undefined;
  const every = formatSeconds(backoff.seconds);
  switch (backoff.change) {
    case 'started':
      return `ITNIO says the account is polled too often (status -15): backing off, polling it every ${every} until it answers otherwise`;
    case 'widened':
      return `still rate limited (status -15, ${backoff.streak} times in a row): backing off further, polling it every ${every}`;
    case 'ended':
      return 'back-off ended: ITNIO answered other than -15, the account is polled at the normal pace again';
  }
}

const formatSeconds = (seconds: number): string => (seconds % 60 === 0 ? `${seconds / 60}m` : `${seconds}s`);

/** One log line per failed poll (warn), and per successful poll at debug level; one more when back-off starts, widens or ends. */
export function logPollResult(logger: Logger, result: PollResult): void {
  logPollOutcome(logger, result);
  const change = describeBackoffChange(result);
  if (change && result.backoff) {
    const fields = {
      account: result.account.name,
      backoff_seconds: result.backoff.seconds,
      backoff_streak: result.backoff.streak,
    };
    if (result.backoff.change === 'ended') logger.info(fields, change);
    else logger.warn(fields, change);
  }
}

function logPollOutcome(logger: Logger, result: PollResult): void {
  const { account, outcome } = result;
  const base = { account: account.name, duration_seconds: Number(result.durationSeconds.toFixed(3)) };
  switch (outcome.kind) {
    case 'success':
      logger.debug({ ...base, balance: outcome.balance, gift: outcome.gift, credit: outcome.credit }, 'poll succeeded');
      break;
    case 'api_error': {
      const skew = clockSkewSeconds(result);
      logger.warn(
        {
          ...base,
          status: outcome.status,
          meaning: statusMeaning(outcome.status),
          reason: outcome.reason,
          ...(skew !== undefined && outcome.status === '-16' ? { clock_skew_seconds: skew } : {}),
        },
        `poll failed: ${describeFailure(result)}`,
      );
      break;
    }
    case 'failure':
      logger.warn(
        { ...base, reason: outcome.reason, detail: outcome.detail },
        `poll failed: ${describeFailure(result)}`,
      );
      break;
    case 'aborted':
      logger.debug(base, 'poll aborted by shutdown');
      break;
  }
}
