import { spentAcross, type SpendStep } from '../../src/store/money';

/*
 * The reference the balance history is checked against: spend computed from every raw sample,
 * with no bucketing. Tests only; the exporter keeps bucketed points (src/accounts/history.ts).
 */

export interface BalanceSample {
  atMs: number;
  balance: number;
}

/**
 * The decrease from each sample to the next, in time order; the first sample has no step, and a
 * step across a gap longer than `maxGapMs` (--poll.max-age) spends 0.
 */
export function spendSteps(samples: readonly BalanceSample[], maxGapMs: number): SpendStep[] {
  const steps: SpendStep[] = [];
  for (let i = 1; i < samples.length; i++) {
    const previous = samples[i - 1] as BalanceSample;
    const current = samples[i] as BalanceSample;
    steps.push({
      atMs: current.atMs,
      spent: spentAcross(previous.balance, current.balance, current.atMs - previous.atMs, maxGapMs),
    });
  }
  return steps;
}
