import { spawnSync } from 'node:child_process';

export const inCI = process.env.CI === 'true';

export function hasBinary(binary: string): boolean {
  return !spawnSync(binary, ['--version'], { encoding: 'utf8' }).error;
}

/**
 * Defines `test` if every binary is installed; otherwise a failing test in CI (CI=true) and a
 * skipped one elsewhere, so a green CI run never hides an unchecked file.
 */
export function testWithBinaries(binaries: string[], name: string, body: () => unknown, timeoutMs?: number): void {
  const missing = binaries.filter((b) => !hasBinary(b));
  if (missing.length === 0) {
    test(name, body as () => Promise<void>, timeoutMs);
  } else if (inCI) {
    test(name, () => {
      throw new Error(`${missing.join(', ')} not installed, but CI=true: install it (see .ci/run) so this check runs`);
    });
  } else {
    console.warn(`skipping "${name}": ${missing.join(', ')} not installed (this test fails instead when CI=true)`);
    test.skip(`${name} [${missing.join(', ')} not installed]`, () => undefined);
  }
}
