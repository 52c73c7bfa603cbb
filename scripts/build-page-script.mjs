#!/usr/bin/env node
// Bundles the status page's script (src/status-page/browser/page-script.ts and the cards it
// renders with) into one browser script, dist/status-page/browser/page-script.js, which the page
// carries inline, admitted by its hash. `npm run build` runs it; so do the tests' setups.
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

await build({
  absWorkingDir: ROOT,
  entryPoints: ['src/status-page/browser/page-script.ts'],
  outfile: 'dist/status-page/browser/page-script.js',
  tsconfig: 'tsconfig.browser.json',
  bundle: true,
  format: 'iife',
  target: 'es2022',
  logLevel: 'warning',
});
