import type { Account } from '../config/account';
import type { BalanceClient } from '../itnio/client';
import { Poller, type PollResult } from '../polling/poller';
import { describeFailure } from '../polling/poll-log';

/** Polls every account once and prints one line each; resolves to true if all succeeded. */
export async function runCheck(options: {
  client: BalanceClient;
  accounts: readonly Account[];
  concurrency: number;
  write: (line: string) => void;
}): Promise<boolean> {
  const results: PollResult[] = [];
  const poller = new Poller({
    client: options.client,
    accounts: options.accounts,
    concurrency: options.concurrency,
    onResult: (result) => results.push(result),
  });
  await poller.pollAll();
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
    }
  }
  return allOk;
}
