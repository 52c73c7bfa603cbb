import { createHash } from 'node:crypto';
import type { PollTarget } from './kind';

/**
 * Spreads each scheduled round over the interval: every account polls at its own stable offset
 * after the slot instead of all at once (5 000 accounts used to send every request within about
 * 2 s of :00). The offset comes from a hash of the account's name salted with the host name, so
 * it survives restarts, and two replicas (another host name) poll one key at different moments.
 */

/** The longest offset: a slow schedule (hourly, daily) still polls within a minute of its slot. */
export const MAX_SPREAD_MS = 60_000;
/** Offsets are rounded to this, so a round of 5 000 accounts sets at most window / step timers. */
const STEP_MS = 100;

/** The window a round is spread over: the gap between polls, at most MAX_SPREAD_MS. */
export function spreadWindowMs(gapMs: number): number {
  return Math.max(0, Math.min(gapMs, MAX_SPREAD_MS));
}

/** An account's stable offset within [0, windowMs), in steps of 100 ms. */
export function spreadOffsetMs(name: string, salt: string, windowMs: number): number {
  const steps = Math.floor(windowMs / STEP_MS);
  if (steps <= 1) return 0;
  const hash = createHash('sha256').update(`${salt}\u0000${name}`).digest().readUInt32BE(0);
  return (hash % steps) * STEP_MS;
}

export interface SpreadTimer {
  setTimer(callback: () => void, delayMs: number): { cancel(): void };
}

const systemTimer: SpreadTimer = {
  setTimer(callback, delayMs) {
    const timer = setTimeout(callback, delayMs);
    return { cancel: () => clearTimeout(timer) };
  },
};

/** Releases each round's targets at their offsets; `stop` cancels what has not gone yet. */
export class SpreadRounds {
  private readonly pending = new Set<{ cancel(): void }>();

  constructor(private readonly options: { windowMs: number; salt: string; timer?: SpreadTimer }) {}

  /** Calls `poll` for each group of `targets` at their offset (at once for offset 0). */
  round(targets: readonly PollTarget[], poll: (targets: readonly PollTarget[]) => void): void {
    const groups = new Map<number, PollTarget[]>();
    for (const target of targets) {
      const offset = spreadOffsetMs(target.account.name, this.options.salt, this.options.windowMs);
      const group = groups.get(offset);
      if (group) group.push(target);
      else groups.set(offset, [target]);
    }
    const timer = this.options.timer ?? systemTimer;
    for (const [offset, group] of groups) {
      if (offset === 0) {
        poll(group);
        continue;
      }
      const handle = timer.setTimer(() => {
        this.pending.delete(handle);
        poll(group);
      }, offset);
      this.pending.add(handle);
    }
  }

  stop(): void {
    for (const handle of this.pending) handle.cancel();
    this.pending.clear();
  }
}
