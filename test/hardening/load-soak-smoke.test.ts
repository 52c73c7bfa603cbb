import { runLoad } from '../../bench/load';
import { runSoak } from '../../bench/soak';
import { assertBuilt } from '../support/exporter-process';

// CI-sized forms of `npm run load` and `npm run soak`. Latency is measured by the full forms and
// recorded in docs/reliability.md, not asserted here (a loaded machine would break any bound).
// The heap is bounded: inside jest 1 000 failing polls after the warm-up grow it (after full GCs)
// by 0.2-0.4 MiB, so SOAK_GROWTH_BOUND fails on a leak of about 1.5 KiB a poll or more; the full
// `npm run soak` (20 000 polls, 0.75 MiB) is the one that sees leaks of tens of bytes a poll.
const MIB = 1024 * 1024;
const SOAK_GROWTH_BOUND = 2 * MIB;

test('load: 50 scrapers for 3 s while every poll fails are all answered', async () => {
  assertBuilt();
  const result = await runLoad({
    durationSeconds: 3,
    connections: 50,
    intervalMs: 0,
    requestTimeoutMs: 10_000,
    path: '/metrics',
  });
  expect(result.requests).toBeGreaterThan(50);
  expect(result.non200).toBe(0);
  expect(result.unanswered).toBe(0);
  expect(result.allAnswered).toBe(true);
  expect(result.polls.total).toBeGreaterThan(0);
  expect(result.polls.up).toBe(0);
  expect(Number.isFinite(result.latencyMs.p99)).toBe(true);
}, 60_000);

test('soak: 1 000 failing polls in a row are each counted as a failure, and the heap stays within its bound', async () => {
  const result = await runSoak({
    polls: 1000,
    warmupPolls: 500,
    sampleEvery: 250,
    rotateEvery: 25,
    maxGrowthBytes: SOAK_GROWTH_BOUND,
  });
  const mib = (bytes: number): string => `${(bytes / MIB).toFixed(2)} MiB`;
  const heap = result.samples.map((s) => `${s.poll}: ${mib(s.heapUsed - result.baselineBytes)}`).join(', ');
  expect({ growth: mib(result.growthBytes), heap, withinBound: result.growthBytes < SOAK_GROWTH_BOUND }).toEqual({
    growth: mib(result.growthBytes),
    heap,
    withinBound: true,
  });
  expect(result.successes).toBe(0);
  expect(result.requests).toBe(1500);
  expect(result.failedPolls).toBe(1500);
  // At the end of the warm-up, every 250 polls after it, and at the end.
  expect(result.samples.map((s) => s.poll)).toEqual([500, 750, 1000, 1250, 1500]);
  for (const sample of result.samples) expect(sample.heapUsed).toBeGreaterThan(0);
  expect(result.ok).toBe(true);
  // About 10 s on a quiet machine, 35 s with both cores busy: a generous limit, not a speed target.
}, 120_000);
