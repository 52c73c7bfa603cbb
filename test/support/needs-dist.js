// @ts-check
const { existsSync, readdirSync, readFileSync } = require('node:fs');
const { dirname, join, resolve } = require('node:path');

/*
 * Which test files run the built exporter (dist/), for jest.config.js: those go in the jest project
 * whose global setup builds dist/ first; the rest run without a build, so a unit test file runs on
 * its own in seconds on a fresh clone. A file needs dist/ if it, or a test helper it imports
 * (transitively), starts the built exporter or names dist/.
 */

/** Starting or naming the built exporter: the helpers of test/support/exporter-process.ts and run-cli.ts, or a dist/ path. */
const USES_DIST = /\b(startExporterProcess|runCli|MAIN|assertBuilt)\b|['"/]dist['"/]/;
/** The helpers that define those names: importing them for ROOT or eventually() needs no build. */
const DEFINES = new Set(['exporter-process.ts', 'run-cli.ts'].map((file) => join(__dirname, file)));

/** Relative imports of a test module, resolved to the .ts/.js files under test/ and bench/ (the bench smoke test runs the build through bench/). */
function localImports(file, text) {
  const found = [];
  for (const [, spec] of text.matchAll(/(?:from|import|require\()\s*['"](\.{1,2}\/[^'"]+)['"]/g)) {
    const base = resolve(dirname(file), spec);
    const target = [base, `${base}.ts`, `${base}.js`, `${base}.mjs`].find(
      (f) => /\/(test|bench)\//.test(f) && existsSync(f),
    );
    if (target && !target.endsWith('/') && /\.(ts|js|mjs)$/.test(target)) found.push(target);
  }
  return found;
}

function usesDist(file, seen = new Set()) {
  if (seen.has(file) || DEFINES.has(file)) return false;
  seen.add(file);
  const text = readFileSync(file, 'utf8');
  return USES_DIST.test(text) || localImports(file, text).some((imported) => usesDist(imported, seen));
}

/** Absolute paths of the test files (`*.test.ts` under `testDir`) that need dist/. */
function testsNeedingDist(testDir) {
  return readdirSync(testDir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.test.ts'))
    .map((entry) => join(entry.parentPath, entry.name))
    .filter((file) => usesDist(file))
    .sort();
}

module.exports = { testsNeedingDist };
