import { findProgram } from '../../bench/proc';
import { runBenchmark, SMOKE, type BenchResult } from '../../bench/run';
import { checkTargets } from '../../bench/report';

const wrk = findProgram('wrk');
const pushgateway = findProgram('prometheus-pushgateway');
const missing = [...(wrk ? [] : ['wrk']), ...(pushgateway ? [] : ['prometheus-pushgateway'])];

// CI must have the tools (apt-get install -y wrk prometheus-pushgateway); elsewhere a
// missing tool skips the smoke run rather than failing it.
const maybe = missing.length > 0 && process.env.CI !== 'true' ? describe.skip : describe;

maybe('npm run bench -- --smoke', () => {
  let result: BenchResult;

  beforeAll(async () => {
    if (missing.length > 0)
      throw new Error(`${missing.join(' and ')} not on PATH: apt-get install -y ${missing.join(' ')}`);
    result = await runBenchmark({
      ...SMOKE,
      wrkBinary: wrk as string,
      pushgatewayBinary: pushgateway as string,
      log: () => undefined,
    });
  }, 120_000);

  test('scrapes every server at every size, without errors', () => {
    expect(result.sizes.map((s) => s.accounts)).toEqual([...SMOKE.sizes]);
    for (const size of result.sizes) {
      // Per account: up, 3 balances, 12 API statuses, 5 failure reasons, requests, duration,
      // last success, threshold, back-off, account info; once: build info and the two reload gauges.
      expect(size.series).toBe(size.accounts * 27 + 3);
      for (const figures of [size.exporter, size.pushgateway, size.plain]) {
        expect(figures.runs).toHaveLength(SMOKE.runs);
        expect(figures.requestsPerSecond).toBeGreaterThan(0);
        expect(figures.errors).toBe(0);
        expect(figures.latencyP99Ms).toBeGreaterThanOrEqual(figures.latencyP50Ms);
        expect(figures.rssIdleBytes).toBeGreaterThan(0);
        expect(figures.rssLoadBytes).toBeGreaterThan(0);
      }
      expect(size.exporter.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
      expect(size.exporter.contentEncoding).toBe('gzip');
      expect(size.startToReadyMs).toBeGreaterThan(0);
      // A Node process with Express listening is never under 20 MB resident.
      expect(size.packagesOnly.rssIdleBytes).toBeGreaterThan(20 * 1024 * 1024);
      expect(size.packagesOnly.rssSettledBytes).toBeGreaterThan(20 * 1024 * 1024);
    }
  });

  test('scrapes cause no upstream request; an interval causes one per account', () => {
    for (const size of result.sizes) {
      expect(size.scrapes).toBeGreaterThan(0);
      expect(size.upstreamRequestsDuringScrapes).toBe(0);
    }
    expect(result.poll.requestsPerAccountMin).toBe(1);
    expect(result.poll.requestsPerAccountMax).toBe(1);
    expect(result.poll.requestsInInterval).toBe(SMOKE.pollAccounts);
    expect(result.poll.wallSeconds).toBeGreaterThan(0);
    expect(result.poll.cpuSeconds).toBeGreaterThanOrEqual(0);
  });

  test('scrapes during a poll cycle: every wrk run inside its cycle, every balance moving', () => {
    const during = result.pollScrapes;
    expect(during.accounts).toBe(SMOKE.pollAccounts);
    expect(during.runs).toHaveLength(SMOKE.runs);
    expect(during.requestsPerSecond).toBeGreaterThan(0);
    expect(during.errors).toBe(0);
    expect(during.latencyP99Ms).toBeGreaterThanOrEqual(during.latencyP50Ms);
    expect(during.cycleShareAtWrkEnd).toBeGreaterThan(0);
    expect(during.cycleShareAtWrkEnd).toBeLessThan(1);
    expect(during.balancesChangedMin).toBe(SMOKE.pollAccounts);
    expect(during.between.requestsPerSecond).toBeGreaterThan(0);
    expect(during.between.errors).toBe(0);
  });

  test('every target is checked and reported', () => {
    const checks = checkTargets(result);
    expect(checks.map((c) => c.goal)).toEqual(
      expect.arrayContaining([
        'zero upstream requests caused by scrapes',
        'one upstream request per account per interval',
        `p99 < 50 ms with 16 scrapers during a poll cycle of ${SMOKE.pollAccounts} accounts`,
        `req/s ≥ 2000 during a poll cycle of ${SMOKE.pollAccounts} accounts`,
      ]),
    );
    expect(checks.find((c) => c.goal === 'zero upstream requests caused by scrapes')?.met).toBe(true);
  });
});
