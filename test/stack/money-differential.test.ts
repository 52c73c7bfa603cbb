/**
 * Money maths checked against the rules: the status page's spend, days left, normal hour, surge
 * threshold and low-balance threshold re-implement recording rules of
 * prometheus/rules/itniotech.rules.yml in TypeScript. The same balance series (steady spend that
 * follows the hour of the day, a top-up, a gap shorter and one longer than --poll.max-age, a
 * surge; test/support/money-scenario.ts) goes through the recording rules with `promtool test
 * rules` and through the page's code, and every figure must agree within TOLERANCE at each
 * evaluation time. A copy of the rules with one number changed must make them disagree.
 *
 * Runs on Debian's promtool (2.42) or the one ITNIO_TEST_PROMTOOL names (CI: 3.x as well).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROMTOOL, testWithBinaries } from '../support/binaries';
import { HOUR_MS, MINUTE_MS, scenario, type ScenarioAccount } from '../support/money-scenario';
import { pageFigures, type MoneyFigures } from '../support/page-money';
import { RULE_OF, ruleValues, type RuleValues } from '../support/rules-money';

const RULES = join(__dirname, '..', '..', 'prometheus', 'rules', 'itniotech.rules.yml');

/**
 * How far apart the two may be: a millionth of the larger value (and a millionth absolute near
 * zero). Over the same scrapes both sides add the same decreases, so only floating-point
 * summation order separates them; any change to a rule's window, scale, quantile, factor, floor
 * or default moves a figure by far more (docs/alerting.md, "The status page and the rules").
 */
const TOLERANCE = 1e-6;

/**
 * Never a poll time (:05, :15 …), nor an hour or six before one: a step exactly on a window's
 * edge counts in Prometheus 2.x's closed ranges and not in the page's (nor 3.x's) left-open ones.
 * 8h30m just after the top-up, 15h after the short gap, 20h30m after the long one, 26h after the surge.
 */
const EVAL_MS = [3, 7, 8.5, 9, 15, 20.5, 21, 24, 25, 26].map((h) => h * HOUR_MS);

interface Disagreement {
  account: string;
  figure: keyof MoneyFigures;
  atMinutes: number;
  rule: number | null;
  page: number | null;
}

const agree = (a: number | null, b: number | null): boolean =>
  a === null || b === null ? a === b : Math.abs(a - b) <= TOLERANCE * Math.max(1, Math.abs(a), Math.abs(b));

/**
 * Every figure of every account at every time where the two differ. The page states a normal hour
 * from 20 whole hours of history, the rules from 24 hourly samples: where only the page has one,
 * there is nothing to compare.
 */
function disagreements(
  accounts: readonly ScenarioAccount[],
  rules: RuleValues,
  evalMs: readonly number[] = EVAL_MS,
): Disagreement[] {
  const found: Disagreement[] = [];
  for (const account of accounts) {
    for (const at of evalMs) {
      const page = pageFigures(account, at);
      for (const figure of Object.keys(RULE_OF) as Array<keyof MoneyFigures>) {
        const rule = rules.get(RULE_OF[figure])?.get(at)?.get(account.name) ?? null;
        const rulesSilent = rule === null && (figure === 'normalPerHour' || figure === 'surgeThreshold');
        if (!rulesSilent && !agree(rule, page[figure])) {
          found.push({ account: account.name, figure, atMinutes: at / MINUTE_MS, rule, page: page[figure] });
        }
      }
    }
  }
  return found;
}

const accounts = scenario();

describe('money maths: the status page against the recording rules', () => {
  testWithBinaries(
    [PROMTOOL],
    'the page and the rules agree on every figure, at every time, for every account',
    async () => {
      const rules = await ruleValues(PROMTOOL, RULES, accounts, EVAL_MS);
      expect(disagreements(accounts, rules)).toEqual([]);
      // The scenario reaches what it is meant to: a normal hour, a surge above it, the floor, no spend.
      const at = (figure: keyof MoneyFigures, name: string, hours: number): number | undefined =>
        rules
          .get(RULE_OF[figure])
          ?.get(hours * HOUR_MS)
          ?.get(name);
      expect(at('normalPerHour', 'busy', 24)).toBeGreaterThan(0);
      expect(at('spendPerHour', 'busy', 26)).toBeGreaterThan(at('surgeThreshold', 'busy', 26) as number);
      expect(at('surgeThreshold', 'quiet', 26)).toBeGreaterThan(5 * (at('normalPerHour', 'quiet', 26) as number));
      expect(at('daysLeft', 'idle', 26)).toBeUndefined();
      expect(at('lowBalanceThreshold', 'quiet', 26)).toBe(1000);
    },
    120_000,
  );

  // Each a change someone might make to the rules without the page: the test must notice it, in
  // the figure and account it moves. Changes that move different figures or accounts share a copy
  // of the rules (three promtool runs, not six). The normal hour needs the whole scenario; the
  // other figures are wrong within hours (8h30m: just after the top-up).
  interface Mutation {
    change: string;
    from: string;
    to: string;
    figure: keyof MoneyFigures;
    account: string;
  }
  const early = [7, 8.5].map((h) => h * HOUR_MS);
  const copies: Array<{ at: number[]; mutations: Mutation[] }> = [
    {
      at: early,
      mutations: [
        {
          change: 'the 6h rate scaled as 7h',
          from: '(86400 / 21600)',
          to: '(86400 / 25200)',
          figure: 'spendPerDay',
          account: 'busy',
        },
        {
          change: 'a top-up counted as negative spend',
          from: 'clamp_min(itniotech_balance offset 1m - itniotech_balance, 0)[1h:1m]',
          to: '(itniotech_balance offset 1m - itniotech_balance)[1h:1m]',
          figure: 'spendPerHour',
          account: 'busy',
        },
        {
          change: 'the default low-balance threshold 50',
          from: 'itniotech_balance + 100)',
          to: 'itniotech_balance + 50)',
          figure: 'lowBalanceThreshold',
          account: 'idle',
        },
      ],
    },
    {
      at: EVAL_MS,
      mutations: [
        {
          change: 'the normal hour as the median',
          from: 'quantile_over_time(0.9,',
          to: 'quantile_over_time(0.5,',
          figure: 'normalPerHour',
          account: 'busy',
        },
      ],
    },
    {
      at: EVAL_MS,
      mutations: [
        // busy's threshold is 5 × its normal, quiet's the floor: each change moves one of them.
        {
          change: 'the surge factor 4',
          from: 'clamp_min(5 *',
          to: 'clamp_min(4 *',
          figure: 'surgeThreshold',
          account: 'busy',
        },
        {
          change: 'the surge floor 20',
          from: 'normal7d, 10)',
          to: 'normal7d, 20)',
          figure: 'surgeThreshold',
          account: 'quiet',
        },
      ],
    },
  ];

  testWithBinaries(
    [PROMTOOL],
    'a copy of the rules with a number changed disagrees with the page, in the figure and account it moves',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'itnio-broken-rules-'));
      try {
        const shipped = readFileSync(RULES, 'utf8');
        const found = await Promise.all(
          copies.map(async ({ at, mutations }, i) => {
            let broken = shipped;
            for (const { from, to } of mutations) {
              if (!broken.includes(from)) throw new Error(`"${from}" is not in ${RULES} any more: update the mutation`);
              broken = broken.replace(from, to);
            }
            const file = join(dir, `broken-${i}.rules.yml`);
            writeFileSync(file, broken);
            return disagreements(accounts, await ruleValues(PROMTOOL, file, accounts, at), at);
          }),
        );
        copies.forEach(({ mutations }, i) => {
          for (const { change, figure, account } of mutations) {
            const disagreeing = found[i]?.some((d) => d.figure === figure && d.account === account);
            expect({ change, disagreeing }).toEqual({ change, disagreeing: true });
          }
        });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    240_000,
  );
});
