import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/*
 * The dependency rules of npm test (npm run deps) run here on the real src/ and on a small tree
 * that breaks them on purpose, so a rule that silently stops matching fails a test. The rules match
 * paths from src/, so the fixture is cruised with its own folder as the working directory.
 */
const ROOT = join(__dirname, '..', '..');
const DEPCRUISE = join(ROOT, 'node_modules', '.bin', 'depcruise');
const RULES = join(ROOT, '.dependency-cruiser.js');

interface Finding {
  rule: string;
  from: string;
  to: string;
  /** For a cycle: the modules it goes through, each marked when reached by a type-only import. */
  cycle?: string[];
}

interface Violation {
  from: string;
  to: string;
  rule: { name: string };
  cycle?: Array<{ name: string; dependencyTypes: string[] }>;
}

function cruiseSrc(cwd: string): { errors: number; cruised: number; findings: Finding[] } {
  const run = spawnSync(DEPCRUISE, ['src', '--config', RULES, '--output-type', 'json'], { cwd, encoding: 'utf8' });
  if (run.error) throw run.error;
  if (!run.stdout) throw new Error(`depcruise wrote nothing (exit ${run.status}): ${run.stderr}`);
  const { summary } = JSON.parse(run.stdout) as {
    summary: { totalCruised: number; error: number; violations: Violation[] };
  };
  const findings = summary.violations.map(({ rule, from, to, cycle }): Finding => {
    if (!cycle) return { rule: rule.name, from, to };
    const steps = cycle.map(
      (step) => `${step.name}${step.dependencyTypes.includes('type-only') ? ' (type-only)' : ''}`,
    );
    return { rule: rule.name, from, to, cycle: steps };
  });
  findings.sort((a, b) => `${a.rule} ${a.from}`.localeCompare(`${b.rule} ${b.from}`));
  return { errors: summary.error, cruised: summary.totalCruised, findings };
}

/** A tree in the layout of src/<folder>/, with one cycle and one upward import. */
const FIXTURE: Record<string, string> = {
  'tsconfig.build.json': JSON.stringify({ compilerOptions: { module: 'commonjs', strict: true }, include: ['src'] }),
  // polling/ may import itnio/: allowed, not reported.
  'src/polling/poller.ts': [
    "import { retries } from '../itnio/client';",
    "import { describeRun } from './run';",
    'export interface Poll { at: number }',
    'export const poll = (): string => describeRun({ at: retries });',
  ].join('\n'),
  // The cycle closes only through this type-only import: type-only imports count.
  'src/polling/run.ts': [
    "import type { Poll } from './poller';",
    'export const describeRun = (poll: Poll): string => String(poll.at);',
  ].join('\n'),
  // itnio/ must not know the configuration: an upward import.
  'src/itnio/client.ts': "import { LIMIT } from '../config/limits';\nexport const retries = LIMIT;",
  'src/config/limits.ts': 'export const LIMIT = 3;',
};

describe('dependency rules (.dependency-cruiser.js)', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'dependency-rules-'));
    for (const [file, text] of Object.entries(FIXTURE)) {
      mkdirSync(dirname(join(dir, file)), { recursive: true });
      writeFileSync(join(dir, file), `${text}\n`);
    }
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('src/ keeps them', () => {
    const result = cruiseSrc(ROOT);
    expect(result.findings).toEqual([]);
    expect(result.errors).toBe(0);
    expect(result.cruised).toBeGreaterThan(20);
  });

  test('a cycle through a type-only import and an upward import fail them', () => {
    const result = cruiseSrc(dir);
    expect(result.findings).toEqual([
      { rule: 'layer-itnio', from: 'src/itnio/client.ts', to: 'src/config/limits.ts' },
      {
        rule: 'no-circular',
        from: 'src/polling/poller.ts',
        to: 'src/polling/run.ts',
        cycle: ['src/polling/run.ts', 'src/polling/poller.ts (type-only)'],
      },
    ]);
    // npm run deps (the default "err" report) exits with this count, so the gate fails.
    expect(result.errors).toBe(2);
    expect(result.cruised).toBe(4);
  });
});
