import type { BenchResult, PollCycleResult, PollScrapeResult, ScrapeFigures, SizeResult } from './run';

export interface TargetCheck {
  goal: string;
  measured: string;
  met: boolean;
}

const MB = 1024 * 1024;
const mb = (bytes: number): string => `${(bytes / MB).toFixed(1)} MB`;
const ratio = (a: number, b: number): string => (b > 0 ? `${(a / b).toFixed(2)}×` : 'n/a');

/** The targets, checked against one run. Sizes the run did not measure are skipped. */
export function checkTargets(result: BenchResult): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const at = (n: number): SizeResult | undefined => result.sizes.find((s) => s.accounts === n);
  const one = at(1);
  const thousand = at(1000);
  if (one) {
    const r = one.exporter.requestsPerSecond / one.pushgateway.requestsPerSecond;
    checks.push({ goal: 'req/s ≥ 2× Pushgateway at 1 account', measured: `${r.toFixed(2)}×`, met: r >= 2 });
    checks.push({
      goal: 'RSS idle ≤ 70 MB at 1 account, settled',
      measured: mb(one.exporter.rssSettledBytes),
      met: one.exporter.rssSettledBytes <= 70 * MB,
    });
    checks.push({
      goal: 'RSS idle ≤ 70 MB at 1 account, 1.5 s after start-up (earlier method)',
      measured: mb(one.exporter.rssIdleBytes),
      met: one.exporter.rssIdleBytes <= 70 * MB,
    });
    checks.push({
      goal: 'start to ready ≤ 500 ms at 1 account',
      measured: `${one.startToReadyMs.toFixed(0)} ms`,
      met: one.startToReadyMs <= 500,
    });
  }
  if (thousand) {
    const r = thousand.exporter.requestsPerSecond / thousand.pushgateway.requestsPerSecond;
    checks.push({ goal: 'req/s ≥ 5× Pushgateway at 1000 accounts', measured: `${r.toFixed(2)}×`, met: r >= 5 });
    checks.push({
      goal: 'p99 < 50 ms with 16 scrapers at 1000 accounts',
      measured: `${thousand.exporter.latencyP99Ms.toFixed(2)} ms`,
      met: thousand.exporter.latencyP99Ms < 50,
    });
    checks.push({
      goal: 'RSS idle ≤ 100 MB at 1000 accounts, settled',
      measured: mb(thousand.exporter.rssSettledBytes),
      met: thousand.exporter.rssSettledBytes <= 100 * MB,
    });
    checks.push({
      goal: 'RSS idle ≤ 100 MB at 1000 accounts, 1.5 s after start-up (earlier method)',
      measured: mb(thousand.exporter.rssIdleBytes),
      met: thousand.exporter.rssIdleBytes <= 100 * MB,
    });
  }
  checks.push(...pollScrapeChecks(result.pollScrapes));
  const poll = result.poll;
  const pollRatio = poll.wallSeconds / poll.idealSeconds;
  checks.push({
    goal: `poll cycle of ${poll.accounts} accounts ≤ 1.2× ideal`,
    measured: `${pollRatio.toFixed(2)}× (${poll.wallSeconds.toFixed(2)} s / ${poll.idealSeconds.toFixed(2)} s)`,
    met: pollRatio <= 1.2,
  });
  const upstream = result.sizes.reduce((sum, s) => sum + s.upstreamRequestsDuringScrapes, 0);
  const scrapes = result.sizes.reduce((sum, s) => sum + s.scrapes, 0);
  checks.push({
    goal: 'zero upstream requests caused by scrapes',
    measured: `${upstream} in ${scrapes} scrapes`,
    met: upstream === 0 && scrapes > 0,
  });
  checks.push({
    goal: 'one upstream request per account per interval',
    measured: `${poll.requestsPerAccountMin}–${poll.requestsPerAccountMax} per account, ${poll.requestsInInterval} in all`,
    met: poll.requestsPerAccountMin === 1 && poll.requestsPerAccountMax === 1,
  });
  return checks;
}

/** The targets of the run that scrapes during poll cycles. */
export function pollScrapeChecks(result: PollScrapeResult): TargetCheck[] {
  const during = `during a poll cycle of ${result.accounts} accounts`;
  return [
    {
      goal: `p99 < 50 ms with 16 scrapers ${during}`,
      measured: `${result.latencyP99Ms.toFixed(2)} ms`,
      met: result.latencyP99Ms < 50,
    },
    {
      goal: `req/s ≥ 2000 ${during}`,
      measured: result.requestsPerSecond.toFixed(0),
      met: result.requestsPerSecond >= 2000,
    },
  ];
}

export function pollScrapeTable(result: PollScrapeResult): string {
  return [
    '| accounts | upstream latency | concurrency | cycle (ideal) | cycles every | scraped | runs | req/s | p50 ms | p99 ms | errors | share of the cycle sent when wrk ended | balances moved per cycle |',
    '|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|',
    `| ${result.accounts} | ${result.latencyMs} ms | ${result.concurrency} | ${result.idealSeconds.toFixed(2)} s | ${result.intervalSeconds} s | during a cycle | ${result.runs.length} | ${result.requestsPerSecond.toFixed(0)} | ${result.latencyP50Ms.toFixed(2)} | ${result.latencyP99Ms.toFixed(2)} | ${result.errors} | at most ${(result.cycleShareAtWrkEnd * 100).toFixed(0)}% | at least ${result.balancesChangedMin} of ${result.accounts} |`,
    `| ${result.accounts} | | | | | between cycles (reference) | 1 | ${result.between.requestsPerSecond.toFixed(0)} | ${result.between.latencyP50Ms.toFixed(2)} | ${result.between.latencyP99Ms.toFixed(2)} | ${result.between.errors} | | |`,
  ].join('\n');
}

function scrapeRow(size: SizeResult, f: ScrapeFigures): string {
  const cells = [
    String(size.accounts),
    String(size.series),
    f.target,
    f.requestsPerSecond.toFixed(0),
    f.target === 'exporter' ? '1.00×' : ratio(size.exporter.requestsPerSecond, f.requestsPerSecond),
    f.latencyP50Ms.toFixed(2),
    f.latencyP99Ms.toFixed(2),
    `${f.wireBytes} (${f.contentEncoding})`,
    String(f.textBytes),
    mb(f.rssIdleBytes),
    mb(f.rssSettledBytes),
    mb(f.rssLoadBytes),
    String(f.errors),
  ];
  return `| ${cells.join(' | ')} |`;
}

export function scrapeTable(result: BenchResult): string {
  const lines = [
    '| accounts | series | server | req/s | exporter ÷ this | p50 ms | p99 ms | bytes on the wire | text bytes | RSS idle 1.5 s | RSS settled | RSS under load | errors |',
    '|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const size of result.sizes) {
    for (const f of [size.exporter, size.pushgateway, size.plain]) lines.push(scrapeRow(size, f));
  }
  return lines.join('\n');
}

export function exporterTable(result: BenchResult): string {
  const lines = [
    "| accounts | start to /readyz 200 | scrapes | upstream requests during scrapes | RSS settled | Node and packages alone, settled | exporter's own, settled |",
    '|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const s of result.sizes) {
    const own = s.exporter.rssSettledBytes - s.packagesOnly.rssSettledBytes;
    lines.push(
      `| ${s.accounts} | ${s.startToReadyMs.toFixed(0)} ms | ${s.scrapes} | ${s.upstreamRequestsDuringScrapes} | ${mb(s.exporter.rssSettledBytes)} | ${mb(s.packagesOnly.rssSettledBytes)} | ${mb(own)} |`,
    );
  }
  return lines.join('\n');
}

export function pollTable(poll: PollCycleResult): string {
  return [
    '| accounts | upstream latency | concurrency | ideal | wall | wall ÷ ideal | CPU per cycle | CPU per poll | requests per account |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    `| ${poll.accounts} | ${poll.latencyMs} ms | ${poll.concurrency} | ${poll.idealSeconds.toFixed(2)} s | ${poll.wallSeconds.toFixed(2)} s | ${(poll.wallSeconds / poll.idealSeconds).toFixed(2)}× | ${(poll.cpuSeconds * 1000).toFixed(0)} ms | ${((poll.cpuSeconds * 1000) / poll.accounts).toFixed(3)} ms | ${poll.requestsPerAccountMin}–${poll.requestsPerAccountMax} |`,
  ].join('\n');
}

export function targetTable(checks: readonly TargetCheck[]): string {
  const lines = ['| target | measured | |', '|---|---|---|'];
  for (const c of checks) lines.push(`| ${c.goal} | ${c.measured} | ${c.met ? 'met' : '**missed**'} |`);
  return lines.join('\n');
}
