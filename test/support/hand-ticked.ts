import type { Scheduler } from '../../src/polling/scheduler';

/** A scheduler handed to the exporter that only the test ticks. */
export function handTicked(): Scheduler & { tick(): void } {
  let tick: () => void = () => undefined;
  return { start: (t) => void (tick = t), stop: async () => undefined, tick: () => tick() };
}
