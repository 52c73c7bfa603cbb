import type { Account } from '../config/account';
import { apiStatusWords, failureReasonWords } from '../itnio/failures';
import type { NumbersClient, NumbersOutcome } from '../itnio/numbers-client';
import { NUMBER_DUE_SOON_DAYS } from '../numbers/numbers-samples';

/** One --check line for an account's rented numbers (with --collector.numbers). */
function numbersCheckLine(
  outcome: NumbersOutcome,
  durationSeconds: number,
  nowMs: number,
): { ok: boolean; text: string } {
  switch (outcome.kind) {
    case 'success': {
      const inUse = outcome.numbers.filter((n) => n.state === 'in_use');
      const next = inUse
        .filter((n) => n.dueAt !== undefined)
        .sort((a, b) => (a.dueAt as number) - (b.dueAt as number))[0];
      let due = 'none due';
      if (next?.dueAt !== undefined) {
        const days = (next.dueAt * 1000 - nowMs) / 86_400_000;
        const soon = days < NUMBER_DUE_SOON_DAYS ? ' DUE SOON' : '';
        due = `next due ${next.dueDate} (${days < 0 ? 'overdue' : `in ${Math.floor(days)} d`}${soon}: ${next.number})`;
      }
      const other = outcome.numbers.length - inUse.length;
      return {
        ok: true,
        text: `numbers OK  ${inUse.length} in use, ${other} not in use, ${due}  (${outcome.requests} page(s), ${durationSeconds.toFixed(2)}s)`,
      };
    }
    case 'api_error': {
      const words = apiStatusWords(outcome.status);
      const said = outcome.reason ? ` (ITNIO says "${outcome.reason}")` : '';
      return {
        ok: false,
        text: `numbers FAILED  status ${outcome.status} from number/queryPage page ${outcome.page}: ${words.meaning}${said}; hint: ${words.hint}`,
      };
    }
    case 'failure':
      return {
        ok: false,
        text: `numbers FAILED  ${outcome.reason}: ${outcome.detail}; hint: ${failureReasonWords(outcome.reason).hint}`,
      };
    default:
      return { ok: false, text: 'numbers FAILED  aborted' };
  }
}

/**
 * Lists every polled account's numbers once, one after another (they follow each account's
 * balance request, so a key is never asked twice at once), and prints one line each.
 */
export async function checkNumbers(options: {
  client: NumbersClient;
  accounts: readonly Account[];
  write: (line: string) => void;
  now?: () => number;
}): Promise<boolean> {
  const now = options.now ?? Date.now;
  const width = Math.max(...options.accounts.map((a) => a.name.length));
  let allOk = true;
  for (const account of options.accounts) {
    const name = account.name.padEnd(width);
    if (account.numbers === false) {
      options.write(`${name}  numbers skipped (numbers: false in the accounts file)`);
      continue;
    }
    const started = now();
    const outcome = await options.client.fetchNumbers(account);
    const line = numbersCheckLine(outcome, (now() - started) / 1000, now());
    allOk &&= line.ok;
    options.write(`${name}  ${line.text}`);
  }
  return allOk;
}
