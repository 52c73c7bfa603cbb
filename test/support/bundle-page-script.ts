import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/*
 * Bundles the status page's script (scripts/build-page-script.mjs, as `npm run build` does; well
 * under a second): every test that renders the page needs it, the built exporter or not.
 * A jest global setup of its own, and part of global-setup.ts.
 */
export default function bundlePageScript(): void {
  const script = join(__dirname, '..', '..', 'scripts', 'build-page-script.mjs');
  const run = spawnSync(process.execPath, [script], { encoding: 'utf8' });
  if (run.status !== 0) {
    throw new Error(`bundling the page script failed: ${run.error?.message ?? `${run.stdout}${run.stderr}`}`);
  }
}
