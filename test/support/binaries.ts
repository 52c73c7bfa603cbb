import { spawnSync } from 'node:child_process';

export const inCI = process.env.CI === 'true';

export function hasBinary(binary: string): boolean {
  return !spawnSync(binary, ['--version'], { encoding: 'utf8' }).error;
}

/** The Prometheus binaries the tests run: Debian's on PATH, or those named by the environment (CI's 3.x). */
export const PROMETHEUS = process.env.ITNIO_TEST_PROMETHEUS || 'prometheus';
export const PROMTOOL = process.env.ITNIO_TEST_PROMTOOL || 'promtool';

/** A failing test in CI (CI=true) and a skipped one elsewhere, naming what is missing. */
function unavailable(missing: string[], name: string): void {
  if (inCI) {
    test(name, () => {
      throw new Error(`${missing.join(', ')}, but CI=true: install it (see .ci/run) so this check runs`);
    });
  } else {
    console.warn(`skipping "${name}": ${missing.join(', ')} (this test fails instead when CI=true)`);
    test.skip(`${name} [${missing.join(', ')}]`, () => undefined);
  }
}

/**
 * Defines `test` if every binary is installed; otherwise a failing test in CI (CI=true) and a
 * skipped one elsewhere, so a green CI run never hides an unchecked file.
 */
export function testWithBinaries(binaries: string[], name: string, body: () => unknown, timeoutMs?: number): void {
  const missing = binaries.filter((b) => !hasBinary(b));
  if (missing.length === 0) test(name, body as () => Promise<void>, timeoutMs);
  else unavailable([`${missing.join(', ')} not installed`], name);
}

/** `describe` when nothing is missing (each entry says what is, and why); else as testWithBinaries. */
export function describeUnlessMissing(missing: string[], name: string, body: () => void): void {
  if (missing.length === 0) describe(name, body);
  else describe(name, () => unavailable(missing, name));
}
