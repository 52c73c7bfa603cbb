import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXPORTER_NODE_FLAGS } from '../../bench/targets';

const root = join(__dirname, '..', '..');

// The benchmark measures the exporter as it ships: with the same Node flags as the image and npm start.
describe('Node flags the exporter runs with', () => {
  test('the Dockerfile ENTRYPOINT passes the benchmark flags', () => {
    const entrypoint = /^ENTRYPOINT (\[.*\])$/m.exec(readFileSync(join(root, 'Dockerfile'), 'utf8'))?.[1];
    expect(JSON.parse(entrypoint ?? '[]')).toEqual(['node', ...EXPORTER_NODE_FLAGS, 'dist/main.js']);
  });

  test('npm start passes the benchmark flags', () => {
    const scripts = (
      JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
    ).scripts;
    expect(scripts.start).toBe(['node', ...EXPORTER_NODE_FLAGS, 'dist/main.js'].join(' '));
  });
});
