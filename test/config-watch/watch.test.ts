import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Gauge } from 'prom-client';
import type { Account } from '../../src/config/account';
import { loadConfig, readConfigFile, type ExporterConfig } from '../../src/config/config';
import { ConfigReloader } from '../../src/reload/config-reloader';
import { ConfigWatcher, FILE_CHANGE_TRIGGER } from '../../src/config-watch/watch';
import { SettledLoader } from '../../src/config-watch/settled-load';
import { createLogger } from '../../src/log/logger';
import { eventually } from '../support/exporter-process';
import { kubeletSwap } from '../kubernetes/pod';

/** A watcher over the files `paths()` names; each reload reads them through a SettledLoader and records what it saw. */
function watching(paths: string[]) {
  const loader = new SettledLoader({
    load: (readFile) => paths.map((p) => readFile(p).trim()),
    readFile: readConfigFile,
    quietMs: 50,
    maxWaitMs: 5_000,
  });
  loader.initial();
  const applied: Array<{ trigger: string; values: string[] }> = [];
  const watcher = new ConfigWatcher({
    files: () => loader.files,
    readFile: readConfigFile,
    reload: async (trigger) => applied.push({ trigger, values: await loader.reload() }),
    logger: createLogger('silent'),
    quietMs: 50,
    rescanMs: 60_000,
  });
  return { watcher, applied };
}

const accountsYaml = (names: string[]): string =>
  `accounts:\n${names
    .map((n) => `  - name: ${n}\n    api_key: key${n}\n    api_secret: secret-${n}\n    base_url: http://127.0.0.1:9\n`)
    .join('')}`;

/** The exporter's reload path without the exporter: a SettledLoader of an accounts file feeding a ConfigReloader. */
function reloading(
  file: string,
  { now, ...options }: { maxWaitMs: number; sleep?: (ms: number) => Promise<void>; now?: () => number },
) {
  const lines: Array<Record<string, unknown>> = [];
  const loader = new SettledLoader({
    load: (readFile) => loadConfig({ argv: ['--config.file', file], env: {}, readFile }),
    readFile: readConfigFile,
    quietMs: 50,
    ...options,
  });
  const initial = loader.initial();
  if (initial.kind !== 'run') throw new Error('not a run command');
  const state = { accounts: initial.config.accounts as readonly Account[], applied: 0 };
  const reloader = new ConfigReloader({
    initial: initial.config,
    load: async (): Promise<ExporterConfig> => {
      const again = await loader.reload();
      if (again.kind !== 'run') throw new Error('not a run command');
      return again.config;
    },
    targets: {
      accounts: () => state.accounts,
      setAccounts: (next) => {
        state.accounts = next;
        state.applied++;
        return { added: [], replaced: [] };
      },
      setWebConfig: () => undefined,
    },
    logger: createLogger('debug', { write: (line: string) => void lines.push(JSON.parse(line)) }),
    ...(now ? { now } : {}),
  });
  const gauge = async (name: string): Promise<number | undefined> =>
    (await (reloader.registry.getSingleMetric(name) as Gauge).get()).values[0]?.value;
  return { loader, reloader, state, lines, gauge };
}

const RELOAD_OK = 'itniotech_exporter_config_last_reload_successful';
const RELOAD_TIME = 'itniotech_exporter_config_last_reload_success_timestamp_seconds';

describe('ConfigWatcher: the folders of the files read, not the files', () => {
  let dir: string;
  const watchers: ConfigWatcher[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'itnio-watch-unit-'));
  });
  afterEach(() => {
    for (const w of watchers.splice(0)) w.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("the kubelet's swap of the ..data link reloads once, with the new content", async () => {
    mkdirSync(join(dir, '..2026_12_03_10_00_00.000000001'));
    writeFileSync(join(dir, '..2026_12_03_10_00_00.000000001', 'api-secret'), 'old\n');
    symlinkSync('..2026_12_03_10_00_00.000000001', join(dir, '..data'));
    symlinkSync(join('..data', 'api-secret'), join(dir, 'api-secret'));
    const { watcher, applied } = watching([join(dir, 'api-secret')]);
    watchers.push(watcher);
    kubeletSwap(dir, { 'api-secret': 'new\n' }, '..2026_12_03_10_05_00.000000002');
    await eventually(() => (applied.length > 0 ? true : undefined), 'a reload');
    expect(applied).toEqual([{ trigger: FILE_CHANGE_TRIGGER, values: ['new'] }]);
    // A second swap is seen too: the watch follows the folder, not the removed target.
    kubeletSwap(dir, { 'api-secret': 'newer\n' }, '..2026_12_03_10_10_00.000000003');
    await eventually(() => (applied.length > 1 ? true : undefined), 'a second reload');
    expect(applied[1]?.values).toEqual(['newer']);
  });

  test("an editor's rename-over and an in-place write both reload", async () => {
    const file = join(dir, 'accounts.yml');
    writeFileSync(file, 'one');
    const { watcher, applied } = watching([file]);
    watchers.push(watcher);
    writeFileSync(join(dir, '.accounts.yml.swp'), 'two');
    renameSync(join(dir, '.accounts.yml.swp'), file);
    await eventually(() => (applied.length > 0 ? true : undefined), 'a reload on the rename');
    writeFileSync(file, 'three');
    await eventually(() => (applied.length > 1 ? true : undefined), 'a reload on the write');
    expect(applied.map((a) => a.values[0])).toEqual(['two', 'three']);
    expect(readFileSync(file, 'utf8')).toBe('three');
  });

  test('a change to another file in the folder reloads nothing', async () => {
    const file = join(dir, 'accounts.yml');
    writeFileSync(file, 'one');
    const { watcher, applied } = watching([file]);
    watchers.push(watcher);
    writeFileSync(join(dir, 'unrelated.txt'), 'x');
    // Then a real change: only it reloads, so the first event was looked at and let go.
    await new Promise((r) => setTimeout(r, 300));
    writeFileSync(file, 'two');
    await eventually(() => (applied.length > 0 ? true : undefined), 'a reload');
    expect(applied).toEqual([{ trigger: FILE_CHANGE_TRIGGER, values: ['two'] }]);
  });

  test('a file that kept changing past the limit is applied once it settles, and the reload gauge is 1 again', async () => {
    const file = join(dir, 'accounts.yml');
    writeFileSync(file, accountsYaml(['a']));
    let keepChanging = true;
    let writes = 0;
    const { loader, reloader, state, gauge } = reloading(file, {
      maxWaitMs: 400,
      // A writer that rewrites the file during every quiet period until the reload gives up.
      sleep: async (ms) => {
        await new Promise((r) => setTimeout(r, ms));
        if (keepChanging) writeFileSync(file, accountsYaml(['a', `b${++writes}`]));
      },
    });
    const results: boolean[] = [];
    const watcher = new ConfigWatcher({
      files: () => loader.files,
      readFile: readConfigFile,
      reload: async (trigger) => {
        const result = await reloader.reload(trigger);
        results.push(result.ok);
        // The writer stops with the failed reload: what it wrote last is complete, and stays.
        if (!result.ok) keepChanging = false;
      },
      logger: createLogger('silent'),
      quietMs: 50,
      rescanMs: 60_000,
    });
    watchers.push(watcher);
    writeFileSync(file, accountsYaml(['a', 'b0']));
    await eventually(() => (results.includes(false) ? true : undefined), 'the reload that gives up', 10_000);
    expect(await gauge(RELOAD_OK)).toBe(0);
    await eventually(() => (results.at(-1) === true ? true : undefined), 'the settled file applied', 10_000);
    expect(state.accounts.map((a) => a.name)).toEqual(['a', `b${writes}`]);
    expect(await gauge(RELOAD_OK)).toBe(1);
  });
});

describe('ConfigReloader over a SettledLoader', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'itnio-reload-unit-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('a SIGHUP after a reload on file change applies nothing again, and still counts as a good reload', async () => {
    const file = join(dir, 'accounts.yml');
    writeFileSync(file, accountsYaml(['a']));
    let now = 1_000_000;
    const { reloader, state, lines, gauge } = reloading(file, { maxWaitMs: 5_000, now: () => now });
    writeFileSync(file, accountsYaml(['a', 'b']));
    expect((await reloader.reload('file change')).ok).toBe(true);
    expect(await gauge(RELOAD_TIME)).toBe(1_000);
    now += 5_000;
    expect(await reloader.reload('SIGHUP')).toMatchObject({ ok: true, added: [], removed: [] });
    expect(state.applied).toBe(1);
    expect(state.accounts.map((a) => a.name)).toEqual(['a', 'b']);
    expect(lines.filter((l) => l.msg === 'configuration reloaded')).toHaveLength(1);
    expect(lines.find((l) => l.msg === 'configuration reloaded; nothing changed')).toMatchObject({ trigger: 'SIGHUP' });
    expect(await gauge(RELOAD_OK)).toBe(1);
    expect(await gauge(RELOAD_TIME)).toBe(1_005);
    expect(reloader.changeCount()).toBe(2);
  });
});
