/*
 * A clock for ages and history that never steps: Unix milliseconds as the wall clock read when
 * the process started, plus monotonic time since. The wall clock itself may jump (NTP corrects a
 * fast clock, a VM snapshot is restored), which would make ages negative or expire data early;
 * this one moves at the rate of real time only. What is shown to people, and the timestamps in
 * metrics, are wall clock times: `steadyToWallOffsetMs` converts.
 */
const startWallMs = Date.now();
const startMonoMs = performance.now();

export function steadyNow(): number {
  return startWallMs + (performance.now() - startMonoMs);
}

/** What to add to a steady time to show it as a wall clock time now. */
export function steadyToWallOffsetMs(): number {
  return Date.now() - steadyNow();
}
