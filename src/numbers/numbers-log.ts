import { apiStatusWords, failureReasonWords } from '../itnio/failures';
import type { NumbersOutcome } from '../itnio/numbers-client';
import type { Logger } from '../log/logger';
import { MAX_NUMBER_SERIES } from './numbers-samples';

/** What the log needs of one numbers poll result (src/polling/poller.ts PollResult, structurally). */
export interface NumbersLogResult {
  account: { name: string };
  outcome: NumbersOutcome;
  durationSeconds: number;
}

/**
 * One line per failed numbers poll (warn) with the status or reason and its meaning, one per
 * success at debug; a warning, once per account, when the due series are capped.
 */
export function createNumbersLog(): (logger: Logger, result: NumbersLogResult) => void {
  const capped = new Set<string>();
  return (logger, { account, outcome, durationSeconds }) => {
    const fields = {
      account: account.name,
      poll: 'numbers',
      duration_seconds: durationSeconds,
      requests: outcome.requests,
    };
    switch (outcome.kind) {
      case 'success': {
        const inUse = outcome.numbers.filter((n) => n.state === 'in_use' && n.dueAt !== undefined).length;
        logger.debug({ ...fields, numbers: outcome.numbers.length, total: outcome.total }, 'numbers poll succeeded');
        if (outcome.skipped.length > 0) {
          logger.warn(
            { ...fields, skipped: outcome.skipped.slice(0, 5) },
            `numbers poll: ${outcome.skipped.length} record(s) without a usable number were left out`,
          );
        }
        if (inUse > MAX_NUMBER_SERIES && !capped.has(account.name)) {
          capped.add(account.name);
          logger.warn(
            { ...fields, in_use: inUse, exported: MAX_NUMBER_SERIES },
            `account has ${inUse} numbers in use; only the ${MAX_NUMBER_SERIES} due soonest get a due series, the rest are counted in itniotech_numbers only`,
          );
        }
        return;
      }
      case 'api_error': {
        const words = apiStatusWords(outcome.status);
        const said = outcome.reason ? ` (ITNIO says "${outcome.reason}")` : '';
        logger.warn(
          { ...fields, status: outcome.status, page: outcome.page },
          `numbers poll failed: status ${outcome.status} from number/queryPage page ${outcome.page}: ${words.meaning}${said}; hint: ${words.hint}`,
        );
        return;
      }
      case 'failure': {
        const words = failureReasonWords(outcome.reason);
        logger.warn(
          { ...fields, reason: outcome.reason },
          `numbers poll failed: ${outcome.reason} (${words.meaning}): ${outcome.detail}; hint: ${words.hint}`,
        );
        return;
      }
      default:
        return;
    }
  };
}
