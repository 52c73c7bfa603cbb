import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { readConfigFile } from '../../src/config/config';
import { ConfigError } from '../../src/config/problems';
import { SettledLoader } from '../../src/config-watch/settled-load';

/** A loader of `file` (YAML, its `accounts` list) whose sleep runs the next step of `steps` instead of waiting. */
function loaderOf(file: string, steps: Array<() => void>, maxWaitMs = 10_000) {
  let clock = 0;
  const sleeps: number[] = [];
  const loader = new SettledLoader({
    load: (readFile) => {
      const doc = parse(readFile(file)) as { accounts?: string[] } | null;
      if (!Array.isArray(doc?.accounts)) throw new ConfigError([`${file}: no accounts list`]);
      return doc.accounts;
    },
    readFile: readConfigFile,
    quietMs: 500,
    maxWaitMs,
    now: () => clock,
    sleep: async (ms) => {
      sleeps.push(ms);
      clock += ms;
      steps.shift()?.();
    },
  });
  return { loader, sleeps };
}

describe('SettledLoader: a file caught half written is never applied', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'itnio-settled-'));
    file = join(dir, 'accounts.yml');
    writeFileSync(file, 'accounts: [a, b, c]\n');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('unchanged files apply at once, without waiting', async () => {
    const { loader, sleeps } = loaderOf(file, []);
    expect(loader.initial()).toEqual(['a', 'b', 'c']);
    expect(await loader.reload()).toEqual(['a', 'b', 'c']);
    expect(sleeps).toEqual([]);
    expect([...loader.files.keys()]).toEqual([file]);
  });

  test('a changed file is read again after the quiet period and applied only once two reads agree', async () => {
    const { loader, sleeps } = loaderOf(file, [
      () => writeFileSync(file, 'accounts:\n  - a\n  - b\n'),
      () => writeFileSync(file, 'accounts:\n  - a\n  - b\n  - c\n  - d\n'),
    ]);
    loader.initial();
    // The first read sees a truncated file that parses (two of four accounts): it must not be applied.
    writeFileSync(file, 'accounts:\n  - a\n');
    expect(await loader.reload()).toEqual(['a', 'b', 'c', 'd']);
    expect(sleeps).toEqual([500, 500, 500]);
  });

  test('a half-written file that does not parse yet is waited for, not reported', async () => {
    const { loader } = loaderOf(file, [() => writeFileSync(file, 'accounts: [a, b, c, e]\n')]);
    loader.initial();
    writeFileSync(file, 'accounts: [a, b,');
    expect(await loader.reload()).toEqual(['a', 'b', 'c', 'e']);
  });

  test('a broken file that stays broken fails the reload with its own problem', async () => {
    const { loader } = loaderOf(file, []);
    loader.initial();
    writeFileSync(file, 'accounts: nope\n');
    await expect(loader.reload()).rejects.toThrow(/no accounts list/);
  });

  test('a file that keeps changing fails the reload after maxWaitMs, naming it', async () => {
    const steps = Array.from({ length: 20 }, (_, i) => () => writeFileSync(file, `accounts: [a${i}]\n`));
    const { loader } = loaderOf(file, steps, 2_000);
    loader.initial();
    writeFileSync(file, 'accounts: [x]\n');
    await expect(loader.reload()).rejects.toThrow(`${file} kept changing for 2s; nothing applied`);
  });

  test('a file that disappears and comes back complete is applied once it stays', async () => {
    const { loader } = loaderOf(file, [() => writeFileSync(file, 'accounts: [z]\n')]);
    loader.initial();
    rmSync(file);
    expect(await loader.reload()).toEqual(['z']);
  });
});
