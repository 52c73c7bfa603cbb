import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { START_UP_PACKAGES } from '../../bench/targets';
import { ROOT } from '../support/exporter-process';
import { runCli } from '../support/run-cli';

// The benchmark subtracts a Node process that loads START_UP_PACKAGES from the exporter's memory
// and calls the rest the exporter's own; that holds only while the list is what the exporter loads.
test("the benchmark's Node-and-packages process loads the dependencies the exporter loads at start-up", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'itnio-floor-'));
  try {
    const out = join(dir, 'loaded.json');
    const preload = join(dir, 'record-packages.js');
    writeFileSync(
      preload,
      `process.on('exit', () => {
        const names = new Set();
        for (const file of Object.keys(require.cache)) {
          const match = /node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(file);
          if (match) names.add(match[1]);
        }
        require('node:fs').writeFileSync(${JSON.stringify(out)}, JSON.stringify([...names]));
      });`,
    );
    const run = await runCli(['--version'], { NODE_OPTIONS: `--require ${preload}` });
    expect(run.status).toBe(0);
    const dependencies = Object.keys(
      (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> })
        .dependencies,
    );
    const loaded = (JSON.parse(readFileSync(out, 'utf8')) as string[]).filter((name) => dependencies.includes(name));
    expect(loaded.sort()).toEqual([...START_UP_PACKAGES].sort());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
