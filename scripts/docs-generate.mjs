#!/usr/bin/env node
// Writes the parts of the docs that the code already holds, so that they never drift:
//   docs/configuration.md, between the "generated flag table" markers: src/config/flags.ts' flag
//   table, the one --help is made from (rendered by src/config/flag-docs.ts).
// It reads the built code: run it as `npm run docs:generate`, which builds first.
// Usage: npm run docs:generate [-- --check]   (--check writes nothing, names what is out of date, exits 1)
//        (--file=PATH works on another copy of docs/configuration.md: the drift test's)
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import prettier from 'prettier';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const FILE_ARG = process.argv.find((arg) => arg.startsWith('--file='));
const CONFIGURATION = FILE_ARG ? FILE_ARG.slice('--file='.length) : join(ROOT, 'docs', 'configuration.md');
const START = '<!-- generated flag table: npm run docs:generate writes it from src/config/flags.ts; edit that file -->';
const END = '<!-- end of generated flag table -->';

const { flagTableMarkdown } = createRequire(import.meta.url)(join(ROOT, 'dist', 'config', 'flag-docs.js'));

/** The document with `table` between the markers, formatted as `npm run format` would. */
async function withTable(path, text, table) {
  const start = text.indexOf(START);
  const end = text.indexOf(END);
  if (start < 0 || end < start) throw new Error(`${relative(ROOT, path)}: the markers of the flag table are missing`);
  const next = `${text.slice(0, start + START.length)}\n\n${table}\n\n${text.slice(end)}`;
  // The repository's prettier settings, wherever the file is (the drift test checks a copy).
  const options = (await prettier.resolveConfig(join(ROOT, 'docs', 'configuration.md'))) ?? {};
  return prettier.format(next, { ...options, filepath: 'configuration.md' });
}

const check = process.argv.includes('--check');
const current = readFileSync(CONFIGURATION, 'utf8');
const wanted = await withTable(CONFIGURATION, current, flagTableMarkdown());
if (wanted === current) {
  console.log(`${relative(ROOT, CONFIGURATION)} is up to date`);
} else if (check) {
  console.error(`${relative(ROOT, CONFIGURATION)}: the flag table is out of date: run npm run docs:generate`);
  process.exit(1);
} else {
  writeFileSync(CONFIGURATION, wanted);
  console.log(`wrote ${relative(ROOT, CONFIGURATION)}`);
}
