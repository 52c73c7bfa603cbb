import type { BalanceClient, BalanceOutcome } from '../itnio/client';
import type { PollKind } from './kind';

/** The name of the getBalance poll: its results feed the store's balance state and `itniotech_*` balance series. */
export const BALANCE_POLL = 'balance';

/** getBalance as a kind of poll. */
export function balancePollKind(client: BalanceClient): PollKind<BalanceOutcome> {
  return { name: BALANCE_POLL, poll: (account, signal) => client.fetchBalance(account, signal) };
}
