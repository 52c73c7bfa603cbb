import cron from 'node-cron';
import { CRON_TIMEZONE } from '../config/schedule';
import type { Logger } from '../log/logger';

/** Calls `tick` on a schedule until stopped. Injected so tests can tick by hand. */
export interface Scheduler {
  start(tick: () => void): void;
  stop(): Promise<void>;
}

/** The two clocks and the timer the scheduler runs on; a test passes fakes. */
export interface SchedulerClock {
  /** Unix milliseconds: picks the cron slots. It may step (NTP, a restored VM snapshot). */
  wallMs(): number;
  /** Milliseconds that only ever move forward at the rate of real time: measures the waits. */
  monoMs(): number;
  setTimer(callback: () => void, delayMs: number): { cancel(): void };
}

const systemSchedulerClock: SchedulerClock = {
  wallMs: () => Date.now(),
  monoMs: () => performance.now(),
  setTimer(callback, delayMs) {
    const timer = setTimeout(callback, delayMs);
    return { cancel: () => clearTimeout(timer) };
  },
};

/** A wall clock this far off the monotonic one since the timer was set counts as a step. */
const CLOCK_STEP_TOLERANCE_MS = 2000;
/** The longest single wait, so a step during a long gap between slots is noticed in time. */
const MAX_WAIT_MS = 60_000;

interface TimeMatcher {
  getNextMatch(date: Date): Date;
}

/**
 * The next cron slot strictly after `fromMs`. node-cron computes it with the TimeMatcher its
 * task holds (not part of its typed API: test/polling/scheduler.test.ts pins the behaviour).
 */
function slotFinder(expression: string): { next(fromMs: number): number; destroy(): void } {
  const task = cron.createTask(expression, () => undefined, { timezone: CRON_TIMEZONE });
  const matcher = (task as unknown as { timeMatcher?: TimeMatcher }).timeMatcher;
  if (typeof matcher?.getNextMatch !== 'function') throw new Error('node-cron no longer exposes its TimeMatcher');
  return {
    next: (fromMs) => matcher.getNextMatch(new Date(fromMs)).getTime(),
    destroy: () => void task.destroy(),
  };
}

function logClockStep(logger: Logger, skewMs: number): void {
  const seconds = Math.round(skewMs / 1000);
  logger.warn(
    { component: 'scheduler', clock_step_seconds: seconds },
    `the wall clock stepped ${skewMs > 0 ? 'forward' : 'back'} by ${Math.abs(seconds)}s; ` +
      'polling keeps its pace (slots the step skipped are not replayed)',
  );
}

/**
 * Polls on a cron schedule read in UTC, timed by the monotonic clock. node-cron's own runner
 * waits for the wall clock to reach each slot and replays every slot it missed, so a wall clock
 * stepped back stops polling for the length of the step and one stepped forward replays days of
 * slots at once. Here each wait is measured on the monotonic clock: whatever the wall clock
 * does, the next tick comes one slot gap after the last, a step is logged once, and slots it
 * skipped are not replayed.
 */
export function createCronScheduler(
  expression: string,
  logger: Logger,
  clock: SchedulerClock = systemSchedulerClock,
): Scheduler {
  let slots: ReturnType<typeof slotFinder> | undefined;
  let timer: { cancel(): void } | undefined;
  let stopped = false;

  return {
    start(tick) {
      stopped = false;
      const finder = slotFinder(expression);
      slots = finder;
      /** Waits, on the monotonic clock, for the slot `slotWallMs` as the wall clock read at `fromWallMs`. */
      const arm = (slotWallMs: number, fromWallMs: number, fromMonoMs: number): void => {
        const dueMono = fromMonoMs + Math.max(0, slotWallMs - fromWallMs);
        let seenWall = fromWallMs;
        let seenMono = fromMonoMs;
        let stepped = false;
        const wake = (): void => {
          if (stopped) return;
          const wall = clock.wallMs();
          const mono = clock.monoMs();
          const skew = wall - (seenWall + (mono - seenMono));
          if (Math.abs(skew) > CLOCK_STEP_TOLERANCE_MS) {
            stepped = true;
            logClockStep(logger, skew);
          }
          seenWall = wall;
          seenMono = mono;
          if (mono < dueMono) {
            timer = clock.setTimer(wake, Math.min(dueMono - mono, MAX_WAIT_MS));
            return;
          }
          try {
            tick();
          } finally {
            // After a step the old slots mean nothing: the next one is read off the wall clock now.
            const next = stepped ? finder.next(wall) : finder.next(Math.max(slotWallMs, wall));
            if (!stopped) arm(next, wall, mono);
          }
        };
        timer = clock.setTimer(wake, Math.min(dueMono - fromMonoMs, MAX_WAIT_MS));
      };
      const wall = clock.wallMs();
      arm(finder.next(wall), wall, clock.monoMs());
    },
    async stop() {
      stopped = true;
      timer?.cancel();
      timer = undefined;
      slots?.destroy();
      slots = undefined;
    },
  };
}
