import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { assertBuilt, ROOT } from '../support/exporter-process';

const SIMULATOR = join(ROOT, 'dist', 'simulator', 'main.js');

function runSimulator(args: string[]): { status: number | null; stdout: string; stderr: string } {
  assertBuilt();
  const run = spawnSync(process.execPath, [SIMULATOR, ...args], {
    env: { PATH: process.env.PATH ?? '' },
    encoding: 'utf8',
    timeout: 20_000,
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('itniotech-simulator command line', () => {
  it('prints its usage under its installed name for --help and exits 0', () => {
    const run = runSimulator(['--help']);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^Usage: itniotech-simulator /);
    expect(run.stdout).toContain('--listen');
    expect(run.stdout).toContain('--latency');
  });

  it('names itself itniotech-simulator when a flag is wrong, and says where to look', () => {
    const run = runSimulator(['--bogus']);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/^itniotech-simulator: /);
    expect(run.stderr).toContain('--bogus');
    expect(run.stderr).toContain('--help');
    expect(run.stderr).not.toMatch(/itnio-simulator/);
  });

  it('refuses a latency that is not a whole number of milliseconds', () => {
    const run = runSimulator(['--latency=soon']);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('--latency');
  });
});
