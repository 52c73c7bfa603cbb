/**
 * The docs that are generated from the code are up to date (npm run docs:generate), and the flag
 * table says what `--help` says. Both read the built exporter (dist/, which jest's setup builds).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const CONFIGURATION = join(ROOT, 'docs', 'configuration.md');
const GENERATE = join(ROOT, 'scripts', 'docs-generate.mjs');

const generate = (...args: string[]) => spawnSync(process.execPath, [GENERATE, ...args], { encoding: 'utf8' });

/** Flag, variable and default of each flag, as `--help` of the built exporter prints them. */
function flagsInHelp(): { flag: string; env?: string; byDefault?: string }[] {
  const help = spawnSync(process.execPath, [join(ROOT, 'dist', 'main.js'), '--help'], { encoding: 'utf8' }).stdout;
  const lines = help.split('\n');
  return lines.flatMap((line, i) => {
    const flag = /^ {2}(--[a-z.-]+)/.exec(line)?.[1];
    if (!flag) return [];
    const next = lines[i + 1] ?? '';
    return [{ flag, env: /\[env (\w+)\]/.exec(next)?.[1], byDefault: /\(default (\S+)\)$/.exec(next)?.[1] }];
  });
}

describe('generated docs', () => {
  test('docs/configuration.md has the current flag table (npm run docs:generate -- --check)', () => {
    const run = generate('--check');
    expect(`${run.stdout}${run.stderr}`).toContain('is up to date');
    expect(run.status).toBe(0);
  });

  test('a stale flag table fails the check and names the command that fixes it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'itnio-docs-generate-'));
    try {
      const copy = join(dir, 'configuration.md');
      writeFileSync(copy, readFileSync(CONFIGURATION, 'utf8').replace('`ITNIO_POLL_INTERVAL`', '`ITNIO_POLL_EVERY`'));
      const stale = generate('--check', `--file=${copy}`);
      expect(stale.status).toBe(1);
      expect(stale.stderr).toContain('run npm run docs:generate');
      expect(generate(`--file=${copy}`).status).toBe(0);
      expect(generate('--check', `--file=${copy}`).status).toBe(0);
      expect(readFileSync(copy, 'utf8')).toBe(readFileSync(CONFIGURATION, 'utf8'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('every flag of --help has a row with its variable and default, and no row is left over', () => {
    const doc = readFileSync(CONFIGURATION, 'utf8');
    const rows = doc.split('\n').filter((line) => /^\| `--/.test(line));
    const help = flagsInHelp();
    expect(help.length).toBeGreaterThan(10);
    for (const { flag, env, byDefault } of help) {
      const row = rows.find((line) => line.startsWith(`| \`${flag}\``));
      expect(row).toBeDefined();
      if (env) expect(row).toContain(`\`${env}\``);
      if (byDefault) expect(row).toContain(`\`${byDefault}\``);
    }
    expect(rows).toHaveLength(help.length);
  });
});

describe('docs/architecture.md', () => {
  test('names exactly the src/ folders that have no test/ folder of their own', () => {
    const doc = readFileSync(join(ROOT, 'docs', 'architecture.md'), 'utf8').replace(/\s+/g, ' ');
    const sentence = /has a folder of unit tests for each folder of `src\/`.*?except (.*?):/.exec(doc)?.[1];
    expect(sentence).toBeDefined();
    const named = [...(sentence ?? '').matchAll(/`src\/([\w-]+)\/`/g)].map((m) => m[1]).sort();
    const untested = readdirSync(join(ROOT, 'src'), { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && !existsSync(join(ROOT, 'test', entry.name)))
      .map((entry) => entry.name)
      .sort();
    expect(named).toEqual(untested);
  });
});
