/*
 * The status page's money figures for the money-maths differential test: the account's polls go
 * into the balance history the exporter keeps, and the figures come out of the status report the
 * page and GET /api/v1/status show. The only file of the test that imports src/: if the history or
 * the report move, mend the imports and `pageFigures` here.
 */
import { BalanceHistory } from '../../src/store/balance-history';
import { buildStatusReport } from '../../src/status-page/report';
import { MAX_AGE_MS, type ScenarioAccount } from './money-scenario';

/** The figures compared with the recording rules; null where the page shows none. */
export interface MoneyFigures {
  spendPerDay: number | null;
  daysLeft: number | null;
  spendPerHour: number | null;
  normalPerHour: number | null;
  surgeThreshold: number | null;
  lowBalanceThreshold: number;
}

/**
 * The history keeps 7 days here, as the rules look back (the exporter's keeps 24 h, so the page
 * states its normal hour from the hours it has; docs/status-page.md): the test compares the maths
 * over the same hours, not the length of the memory.
 */
const RULES_LOOKBACK_MS = 7 * 24 * 60 * 60 * 1000;

/** The status page's figures for `account` at `nowMs`, from its polls up to then. */
export function pageFigures(account: ScenarioAccount, nowMs: number): MoneyFigures {
  // The account's history, as the store keeps one per account.
  const history = new BalanceHistory({ maxGapMs: MAX_AGE_MS, spanMs: RULES_LOOKBACK_MS, now: () => nowMs });
  const polls = account.polls.filter((p) => p.atMs <= nowMs);
  for (const poll of polls) history.add(poll.atMs, poll.balance);
  const last = polls[polls.length - 1];
  const report = buildStatusReport({
    name: 'itniotech-exporter',
    version: 'test',
    pollDescription: 'every 10 minutes',
    maxAgeMs: MAX_AGE_MS,
    nowMs,
    history: { points: () => history.points(), spendPerDay: (_name, windowMs) => history.spendPerDay(windowMs) },
    accounts: [
      {
        name: account.name,
        lowBalanceThreshold: account.lowBalanceThreshold,
        lastAttemptMs: last?.atMs,
        lastSuccessMs: last?.atMs,
        lastOk: last !== undefined,
        values: last ? { balance: last.balance, gift: 0, credit: 0 } : undefined,
      },
    ],
  });
  const figures = report.accounts[0];
  if (!figures) throw new Error(`the status report has no account ${account.name}`);
  return {
    spendPerDay: figures.spendPerDay,
    daysLeft: figures.daysLeft,
    spendPerHour: figures.spendPerHour,
    normalPerHour: figures.normalSpendPerHour,
    surgeThreshold: figures.surgeThresholdPerHour,
    lowBalanceThreshold: figures.lowBalanceThreshold,
  };
}
