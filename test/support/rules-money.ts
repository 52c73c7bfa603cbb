import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { MoneyFigures } from './page-money';
import { scrapedValues, type ScenarioAccount } from './money-scenario';

/*
 * The recording rules' money figures for the money-maths differential test, read from promtool.
 * promtool has no "print this query" mode, so the generated unit test expects every query to
 * return nothing and the figures are read from the "got:" lines promtool prints for the
 * expectations that fail.
 */

/** The recorded series behind each figure of the status page. */
export const RULE_OF: Record<keyof MoneyFigures, string> = {
  spendPerDay: 'itniotech:balance_spend_per_day:rate6h',
  daysLeft: 'itniotech:balance_days_left:rate6h',
  spendPerHour: 'itniotech:balance_spend_per_hour:rate1h',
  normalPerHour: 'itniotech:balance_spend_per_hour:normal7d',
  surgeThreshold: 'itniotech:balance_spend_per_hour:surge_threshold',
  lowBalanceThreshold: 'itniotech:balance_low_threshold:effective',
};

/** Always returns one sample: its absence from promtool's output means nothing was evaluated. */
const CANARY = 'vector(42)';

/** recorded series -> eval time (ms) -> account -> value; an absent series has no entry. */
export type RuleValues = Map<string, Map<number, Map<string, number>>>;

const labels = (account: string): string => `{job="itniotech",instance="exporter:9866",account="${account}"}`;

function unitTest(rulesFile: string, accounts: readonly ScenarioAccount[], evalMs: readonly number[]): string {
  const untilMs = Math.max(...evalMs);
  const series = accounts.flatMap((account) => [
    { series: `itniotech_balance${labels(account.name)}`, values: scrapedValues(account.polls, untilMs).join(' ') },
    ...(account.lowBalanceThreshold === undefined
      ? []
      : [
          {
            series: `itniotech_balance_low_threshold${labels(account.name)}`,
            values: `${account.lowBalanceThreshold}+0x${untilMs / 60_000}`,
          },
        ]),
  ]);
  const queries = [{ expr: CANARY, eval_time: '0s', exp_samples: [] as unknown[] }];
  for (const expr of Object.values(RULE_OF)) {
    for (const ms of evalMs) queries.push({ expr, eval_time: `${ms / 1000}s`, exp_samples: [] });
  }
  return stringify({
    rule_files: [rulesFile],
    evaluation_interval: '1m',
    tests: [{ interval: '1m', input_series: series, promql_expr_test: queries }],
  });
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** promtool prints eval times as Prometheus durations: 0s, 3h, 1d2h, 7h30m. */
function durationMs(text: string): number {
  let total = 0;
  for (const [, amount, unit] of text.matchAll(/(\d+)(ms|s|m|h|d|w|y)/g)) {
    total += Number(amount) * (unit === 'y' ? 365 * 86_400_000 : (UNIT_MS[unit as string] as number));
  }
  return total;
}

/** Reads `expr: "X", time: T,` followed by `got: {labels} value, {labels} value`. */
function parseGot(output: string): RuleValues {
  const values: RuleValues = new Map();
  let current: Map<string, number> | undefined;
  for (const line of output.split('\n')) {
    const head = /^\s*expr: "([^"]+)", time: (\S+),/.exec(line);
    if (head) {
      const byTime = values.get(head[1] as string) ?? new Map<number, Map<string, number>>();
      values.set(head[1] as string, byTime);
      current = new Map();
      byTime.set(durationMs(head[2] as string), current);
      continue;
    }
    const got = /^\s*got: (.*)$/.exec(line);
    if (!got || !current) continue;
    for (const [, sampleLabels, value] of (got[1] as string).matchAll(/\{([^}]*)\} (\S+?)(?=,|$)/g)) {
      const account = /account="([^"]*)"/.exec(sampleLabels as string)?.[1] ?? '';
      current.set(account, Number(value));
    }
    current = undefined;
  }
  return values;
}

/**
 * Evaluates the recording rules of `rulesFile` (an absolute path) over the scenario's scrapes at
 * each of `evalMs` with `promtool test rules`, and returns what each recorded series held.
 */
export async function ruleValues(
  promtool: string,
  rulesFile: string,
  accounts: readonly ScenarioAccount[],
  evalMs: readonly number[],
): Promise<RuleValues> {
  const dir = mkdtempSync(join(tmpdir(), 'itnio-money-'));
  try {
    const testFile = join(dir, 'money.test.yml');
    writeFileSync(testFile, unitTest(rulesFile, accounts, evalMs));
    const output = await run(promtool, ['test', 'rules', testFile]);
    const values = parseGot(output);
    if (values.get(CANARY)?.get(0)?.get('') !== 42) {
      throw new Error(`promtool test rules evaluated nothing (no value for ${CANARY}):\n${output}`);
    }
    return values;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** stdout and stderr together; promtool exits 1 here by design (every expectation is "nothing"). */
function run(binary: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', () => resolve(output));
  });
}
