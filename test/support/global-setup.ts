import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import bundlePageScript from './bundle-page-script';

/*
 * Jest's globalSetup: brings dist/ up to date before any test runs, because several tests run the
 * built exporter (node dist/main.js), not ts-jest's output. The build is `tsc -p tsconfig.build.json`
 * and the page script's bundle (as `npm run build`), incremental, and skipped when no input changed since the last clean build.
 */
const ROOT = join(__dirname, '..', '..');
const SRC = join(ROOT, 'src');
const DIST = join(ROOT, 'dist');
// Both live in dist/, so deleting dist/ also forgets the incremental state.
const BUILD_INFO = join(DIST, '.tsbuildinfo');
/** Its mtime is the start of the last build that finished without errors. */
const STAMP = join(DIST, '.build-stamp');
const CONFIG_INPUTS = [
  'tsconfig.json',
  'tsconfig.build.json',
  'tsconfig.browser.json',
  'node_modules/typescript/package.json',
];

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

/** dist/a/b.js, dist/a/b.js.map → src/a/b.ts. */
function sourceOf(output: string): string {
  return join(SRC, relative(DIST, output).replace(/\.(js|d\.ts)(\.map)?$/, '.ts'));
}

/** Outputs whose source is gone (a module moved or deleted) would still run if imported: remove them. */
function pruneOrphans(): void {
  for (const output of filesUnder(DIST)) {
    if (output !== BUILD_INFO && output !== STAMP && !existsSync(sourceOf(output))) rmSync(output);
  }
  const dirs = existsSync(DIST) ? readdirSync(DIST, { withFileTypes: true, recursive: true }) : [];
  for (const dir of dirs.filter((entry) => entry.isDirectory()).reverse()) {
    const path = join(dir.parentPath, dir.name);
    if (readdirSync(path).length === 0) rmdirSync(path);
  }
}

function whyBuild(sources: string[]): string | undefined {
  const missing = sources.map((source) => join(DIST, relative(SRC, source)).replace(/\.ts$/, '.js'));
  const absent = missing.find((output) => !existsSync(output));
  if (absent) return `${relative(ROOT, absent)} is missing`;
  if (!existsSync(STAMP)) return 'no clean build recorded';
  const built = statSync(STAMP).mtimeMs;
  const newer = [...sources, ...CONFIG_INPUTS.map((file) => join(ROOT, file))].find(
    (input) => statSync(input).mtimeMs > built,
  );
  return newer ? `${relative(ROOT, newer)} changed` : undefined;
}

export default function globalSetup(): void {
  pruneOrphans();
  const sources = filesUnder(SRC).filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'));
  const reason = whyBuild(sources);
  if (!reason) return;
  // An incremental build does not re-emit an output deleted behind its back: start afresh then.
  if (reason.endsWith('is missing')) rmSync(BUILD_INFO, { force: true });

  const started = Date.now();
  const tsc = require.resolve('typescript/bin/tsc');
  const args = [tsc, '-p', 'tsconfig.build.json', '--incremental', '--tsBuildInfoFile', BUILD_INFO];
  const run = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8' });
  const output = `${run.stdout ?? ''}${run.stderr ?? ''}`.trim();
  // tsc exits 2 when it reported errors but still wrote every output, 1 when it wrote none.
  if (run.status !== 0 && run.status !== 2) {
    throw new Error(`building dist/ (tsc -p tsconfig.build.json) failed: ${run.error?.message ?? output}`);
  }
  // The status page script: esbuild bundles it for the browser (npm run build does the same).
  bundlePageScript();
  pruneOrphans();
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (run.status === 2) {
    // The tests still run on fresh output; `npm run typecheck` is the gate for type errors.
    console.warn(`dist/ rebuilt (${reason}) with type errors, in ${seconds} s:\n${output}`);
    return;
  }
  writeFileSync(STAMP, '');
  utimesSync(STAMP, started / 1000, started / 1000);
  console.log(`dist/ rebuilt (${reason}) in ${seconds} s`);
}
