import { capturedLogger } from '../support/captured-logger';
import { createCronScheduler, type SchedulerClock } from '../../src/polling/scheduler';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
// A Monday, 12:00:00 UTC: a slot of every schedule used here.
const T0 = Date.UTC(2026, 10, 30, 12, 0, 0);

/** Wall and monotonic clocks the test moves, and timers that fire as the monotonic one passes them. */
function fakeClock(startWall: number) {
  let wall = startWall;
  let mono = 0;
  let timers: Array<{ at: number; callback: () => void }> = [];
  const clock: SchedulerClock = {
    wallMs: () => wall,
    monoMs: () => mono,
    setTimer(callback, delayMs) {
      const timer = { at: mono + delayMs, callback };
      timers.push(timer);
      return { cancel: () => void (timers = timers.filter((t) => t !== timer)) };
    },
  };
  return {
    clock,
    /** Real time passes: both clocks move, due timers fire in order. */
    advance(ms: number): void {
      const end = mono + ms;
      for (;;) {
        const due = timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at)[0];
        if (!due) break;
        timers = timers.filter((t) => t !== due);
        wall += due.at - mono;
        mono = due.at;
        due.callback();
      }
      wall += end - mono;
      mono = end;
    },
    /** The wall clock alone jumps (NTP correction, a restored snapshot). */
    stepWall(ms: number): void {
      wall += ms;
    },
    pendingTimers: () => timers.length,
    wall: () => wall,
  };
}

function started(expression: string, startWall: number) {
  const time = fakeClock(startWall);
  const { logger, lines } = capturedLogger();
  const ticks: number[] = [];
  const scheduler = createCronScheduler(expression, logger, time.clock);
  scheduler.start(() => ticks.push(time.wall()));
  return { time, lines, ticks, scheduler, warnings: () => lines.filter((l) => l.level === 'warn') };
}

describe('createCronScheduler', () => {
  test('ticks on the cron slots, read in UTC', async () => {
    const s = started('*/15 * * * * *', T0 + 5 * SECOND);
    s.time.advance(9 * SECOND);
    expect(s.ticks).toEqual([]);
    s.time.advance(SECOND);
    expect(s.ticks).toEqual([T0 + 15 * SECOND]);
    s.time.advance(45 * SECOND);
    expect(s.ticks).toEqual([T0 + 15 * SECOND, T0 + 30 * SECOND, T0 + 45 * SECOND, T0 + 60 * SECOND]);
    expect(s.warnings()).toEqual([]);
    await s.scheduler.stop();
    expect(s.time.pendingTimers()).toBe(0);
    s.time.advance(MINUTE);
    expect(s.ticks).toHaveLength(4);
  });

  test('a wall clock stepped back an hour keeps polling at its interval, and says so once', async () => {
    const s = started('0 * * * * *', T0 + 30 * SECOND);
    s.time.advance(30 * SECOND);
    expect(s.ticks).toHaveLength(1);
    s.time.advance(20 * SECOND);
    s.time.stepWall(-HOUR);
    // Ten more minutes of real time: ten polls, one a minute, although the wall clock is an hour behind.
    s.time.advance(10 * MINUTE);
    expect(s.ticks).toHaveLength(11);
    const gaps = s.ticks.slice(2).map((t, i) => t - (s.ticks[i + 1] as number));
    expect(gaps.every((g) => g === MINUTE)).toBe(true);
    expect(s.warnings()).toHaveLength(1);
    expect(s.warnings()[0]).toMatchObject({ component: 'scheduler', clock_step_seconds: -3600 });
    expect(String(s.warnings()[0]?.msg)).toMatch(/wall clock stepped back by 3600s/);
    await s.scheduler.stop();
  });

  test('a wall clock stepped forward a day at a 1s interval skips the missed slots: one poll, one log line', async () => {
    const s = started('* * * * * *', T0);
    s.time.advance(3 * SECOND);
    expect(s.ticks).toHaveLength(3);
    s.time.stepWall(DAY);
    s.time.advance(SECOND);
    expect(s.ticks).toHaveLength(4);
    s.time.advance(5 * SECOND);
    expect(s.ticks).toHaveLength(9);
    expect(s.lines).toHaveLength(1);
    expect(s.warnings()[0]).toMatchObject({ clock_step_seconds: 86_400 });
    expect(String(s.warnings()[0]?.msg)).toMatch(/stepped forward by 86400s.*not replayed/);
    await s.scheduler.stop();
  });

  test('a step during a long gap between slots is noticed before the slot is due', async () => {
    const s = started('0 0 * * * *', T0 + MINUTE);
    s.time.advance(10 * MINUTE);
    s.time.stepWall(-2 * HOUR);
    s.time.advance(MINUTE);
    // Logged within a minute of the step, long before the hourly slot.
    expect(s.warnings()).toHaveLength(1);
    expect(s.ticks).toEqual([]);
    // The slot stays due 59 minutes after start by the monotonic clock, whatever the wall clock says.
    s.time.advance(47 * MINUTE);
    expect(s.ticks).toHaveLength(0);
    s.time.advance(MINUTE);
    expect(s.ticks).toHaveLength(1);
    // Then hourly again, slots read off the (corrected) wall clock.
    s.time.advance(59 * MINUTE);
    expect(s.ticks).toHaveLength(1);
    s.time.advance(MINUTE);
    expect(s.ticks).toHaveLength(2);
    expect(s.warnings()).toHaveLength(1);
    await s.scheduler.stop();
  });
});
