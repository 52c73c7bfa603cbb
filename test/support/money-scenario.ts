/*
 * The balance series of the money-maths differential test (test/stack/money-differential.test.ts):
 * what the exporter's polls saw, and what Prometheus scrapes of the exporter saw. The same polls
 * feed the status page's TypeScript and, as scrapes, promtool's recording rules.
 */

export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;
/** --poll.max-age (its default): the exporter drops an account's series this long after its last success. */
export const MAX_AGE_MS = 60 * MINUTE_MS;

/** One successful poll: the balance the exporter got at `atMs` (ms from the scenario's start). */
export interface Poll {
  atMs: number;
  balance: number;
}

export interface ScenarioAccount {
  name: string;
  /** The account's own --low-balance threshold (exported as itniotech_balance_low_threshold). */
  lowBalanceThreshold?: number;
  polls: Poll[];
}

/** Polls at 0:00 and then every 10 minutes at :05, :15 … :55, none ever on a whole hour. */
function pollTimes(untilMs: number): number[] {
  const times = [0];
  for (let t = 5 * MINUTE_MS; t <= untilMs; t += 10 * MINUTE_MS) times.push(t);
  return times;
}

/** Money is kept in cents inside the scenario so that every balance is an exact decimal. */
const cents = (money: number): number => Math.round(money * 100);

/**
 * "busy": steady spend that follows the hour of the day, a top-up at 8:25, failed polls from 14:05
 * to 14:35 (a gap shorter than --poll.max-age: the exporter keeps the last balance), no success from
 * 19:05 to 20:15 (longer than max-age: the series is dropped, and the drop across it spends 0), and
 * a surge in the 26th hour.
 */
function busy(untilMs: number): ScenarioAccount {
  const failed = (t: number): boolean =>
    (t > 14 * HOUR_MS && t < 14 * HOUR_MS + 40 * MINUTE_MS) ||
    (t > 19 * HOUR_MS + 5 * MINUTE_MS && t < 20 * HOUR_MS + 15 * MINUTE_MS);
  let balance = cents(20_000);
  const polls: Poll[] = [];
  let previous = 0;
  for (const t of pollTimes(untilMs)) {
    // What was spent since the previous poll time, at a rate set by the hour it ends in.
    const hour = Math.floor(t / HOUR_MS);
    const perPoll = hour >= 25 ? cents(150) : cents(2 + ((hour * 3) % 7) + 0.37);
    if (t > 0) balance -= Math.round((perPoll * (t - previous)) / (10 * MINUTE_MS));
    if (t === 8 * HOUR_MS + 25 * MINUTE_MS) balance += cents(3_000);
    previous = t;
    if (!failed(t)) polls.push({ atMs: t, balance: balance / 100 });
  }
  return { name: 'busy', polls };
}

/** "quiet": cents an hour, so its surge threshold is the rules' floor; its own low-balance threshold. */
function quiet(untilMs: number): ScenarioAccount {
  const polls = pollTimes(untilMs).map((t, i) => ({ atMs: t, balance: (cents(800) - 7 * i) / 100 }));
  return { name: 'quiet', lowBalanceThreshold: 1_000, polls };
}

/** "idle": never spends (no days left on either side), no threshold of its own (the default). */
function idle(untilMs: number): ScenarioAccount {
  return { name: 'idle', polls: pollTimes(untilMs).map((t) => ({ atMs: t, balance: 50 })) };
}

/** The scenario, 26 hours long: the rules need 24 hourly samples before they state a normal hour. */
const SCENARIO_MS = 26 * HOUR_MS;
export const scenario = (): ScenarioAccount[] => [busy(SCENARIO_MS), quiet(SCENARIO_MS), idle(SCENARIO_MS)];

/**
 * What Prometheus, scraping every minute, stores of an account's balance: the last polled balance
 * while it is at most MAX_AGE_MS old (the exporter keeps it through failed polls), then a staleness
 * marker and nothing (the exporter dropped the series) until the next success. In promtool's
 * series notation, one value a minute from 0.
 */
export function scrapedValues(polls: readonly Poll[], untilMs: number): string[] {
  const values: string[] = [];
  let next = 0;
  let last: Poll | undefined;
  for (let t = 0; t <= untilMs; t += MINUTE_MS) {
    while (next < polls.length && (polls[next] as Poll).atMs <= t) last = polls[next++];
    if (last && t - last.atMs <= MAX_AGE_MS) values.push(String(last.balance));
    else values.push(['_', 'stale', undefined].includes(values[values.length - 1]) ? '_' : 'stale');
  }
  return values;
}
