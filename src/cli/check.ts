import { AccountStore } from '../store/account-store';
import type { Account } from '../config/account';
import type { BalanceClient } from '../itnio/client';
import { BALANCE_POLL, balancePollKind } from '../polling/balance-kind';
import { Poller, type PollResult } from '../polling/poller';
import { RATE_LIMITED_STATUS } from '../polling/backoff';
import { describeFailure } from '../polling/poll-log';

/** What a -15 means when --check sent a single request. */
const RATE_LIMITED_CHECK_ADVICE =
  '--check sent this account one request, so something else polls ITNIO with the same API key (a running exporter, ' +
  'another monitoring system, a script): wait a minute and check again, and give each system its own key or poll less often; ' +
  'a running exporter backs the account off by itself while ITNIO says -15.';

/** Polls every account once and prints one line each; resolves to true if all succeeded. */
export async function runCheck(options: {
  client: BalanceClient;
  accounts: readonly Account[];
  concurrency: number;
  write: (line: string) => void;
}): Promise<boolean> {
  const results: PollResult[] = [];
  // One poll each: nothing ages here, and no back-off (one request cannot be too many).
  const store = new AccountStore({ accounts: options.accounts, maxAgeMs: Number.MAX_SAFE_INTEGER });
  const poller = new Poller({
    kinds: [balancePollKind(options.client)],
    concurrency: options.concurrency,
    onResult: (result) => {
      store.record(result);
      results.push(result as PollResult);
    },
  });
  await poller.poll(BALANCE_POLL, store.targets());
  const width = Math.max(...options.accounts.map((a) => a.name.length));
  let allOk = true;
  for (const account of options.accounts) {
    const result = results.find((r) => r.account.name === account.name);
    const name = account.name.padEnd(width);
    if (result?.outcome.kind === 'success') {
      const { balance, gift, credit } = result.outcome;
      options.write(
        `${name}  OK      balance ${balance}  gift ${gift}  credit ${credit}  (${result.durationSeconds.toFixed(2)}s)`,
      );
    } else {
      allOk = false;
      options.write(`${name}  FAILED  ${result ? describeFailure(result) : 'not polled'}`);
      if (result?.outcome.kind === 'api_error' && result.outcome.status === RATE_LIMITED_STATUS)
        options.write(`${' '.repeat(width)}          ${RATE_LIMITED_CHECK_ADVICE}`);
    }
  }
  return allOk;
}
