/**
 * The npm package as a user gets it: `npm pack` (its prepack build included, in a copy of the
 * tree so the dist/ other tests run stays put), publint on the tarball, the tarball's contents,
 * then `npm install -g` into a temporary prefix and the installed bins run: `--version`, and
 * `--check` against the installed `itniotech-simulator`; and `npx` from the tarball.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, relative } from 'node:path';
import { DEMO_ACCOUNTS } from '../../src/simulator/demo-accounts';
import { eventually, ROOT } from '../support/exporter-process';
import { freePort } from '../support/ports';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
// The installed bins' `#!/usr/bin/env node` finds the node running these tests.
const PATH = [dirname(process.execPath), process.env.PATH ?? ''].join(delimiter);

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

interface RunOptions {
  cwd?: string;
  /** The whole environment but PATH; npm, given none, inherits this process's. */
  env?: Record<string, string>;
  timeoutMs?: number;
}

function run(command: string, args: string[], options: RunOptions = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd ?? ROOT, env: { ...(options.env ?? process.env), PATH } });
    let stdout = '';
    let stderr = '';
    const killer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(killer);
      resolve({ status, stdout, stderr });
    });
  });
}

async function runOk(command: string, args: string[], options?: RunOptions): Promise<string> {
  const result = await run(command, args, options);
  if (result.status !== 0)
    throw new Error(`${command} ${args.join(' ')} exited with ${result.status}:\n${result.stderr}${result.stdout}`);
  return result.stdout;
}

describe('the npm package', () => {
  let dir: string;
  let tarball: string;
  let files: string[];
  let prefix: string;
  let simulator: ChildProcess | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'itnio-package-'));
    const tree = join(dir, 'tree');
    const skip = new Set(['node_modules', 'dist', 'dist-bench', '.git', 'coverage']);
    cpSync(ROOT, tree, { recursive: true, filter: (src) => !skip.has(relative(ROOT, src).split(/[\\/]/)[0] ?? '') });
    symlinkSync(join(ROOT, 'node_modules'), join(tree, 'node_modules'), 'dir');
    const packed = JSON.parse(
      await runOk('npm', ['pack', '--json', '--pack-destination', dir], { cwd: tree }),
    ) as Array<{ filename: string; files: Array<{ path: string }> }>;
    tarball = join(dir, packed[0]?.filename ?? '');
    files = (packed[0]?.files ?? []).map((f) => f.path).sort();
    prefix = join(dir, 'prefix');
  }, 180_000);

  afterAll(() => {
    simulator?.kill('SIGTERM');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('publint finds nothing to fix', async () => {
    const output = await runOk(process.execPath, [
      join(ROOT, 'node_modules', 'publint', 'src', 'cli.js'),
      '--strict',
      tarball,
    ]);
    expect(output).toMatch(/All good!/);
  }, 60_000);

  test('the tarball is lean: compiled JavaScript, docs and examples; no tests, fixtures, bench, screenshots or sources', () => {
    console.log(`${relative(dir, tarball)}: ${files.length} files`);
    expect(files).toEqual(
      expect.arrayContaining([
        'package.json',
        'README.md',
        'LICENSE',
        'dist/main.js',
        'dist/simulator/main.js',
        'dist/healthcheck.js',
      ]),
    );
    const unexpected = files.filter(
      (f) =>
        !/^(dist\/.+\.js|examples\/web-config\.yml|deploy\/systemd\/[\w.-]+|package\.json|README\.md|LICENSE|CHANGELOG\.md)$/.test(
          f,
        ),
    );
    expect(unexpected).toEqual([]);
    expect(files.filter((f) => /\.(ts|map|png)$|(^|\/)(test|bench|fixtures)\//.test(f))).toEqual([]);
  });

  test('installs globally from the tarball; the installed bins run: --version, and --check against the simulator', async () => {
    await runOk(
      'npm',
      ['install', '--global', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', tarball],
      { cwd: dir },
    );
    const bin = (name: string): string => join(prefix, 'bin', name);
    const version = await runOk(bin('itniotech-exporter'), ['--version'], { cwd: dir, env: {} });
    expect(version.trim()).toBe(`${pkg.name} ${pkg.version} (node ${process.version})`);

    const port = await freePort();
    simulator = spawn(bin('itniotech-simulator'), ['--listen', `127.0.0.1:${port}`], {
      env: { PATH },
      stdio: 'ignore',
    });
    const baseUrl = `http://127.0.0.1:${port}/sms`;
    await eventually(
      async () =>
        (await fetch(`${baseUrl}/getBalance`, { method: 'POST' }).catch(() => undefined)) ? true : undefined,
      'the installed simulator',
    );
    const [account] = DEMO_ACCOUNTS;
    const env = {
      ITNIO_ACCOUNT: account?.name ?? '',
      ITNIO_API_KEY: account?.apiKey ?? '',
      ITNIO_API_SECRET: account?.apiSecret ?? '',
    };
    const check = await run(bin('itniotech-exporter'), ['--check', `--api.base-url=${baseUrl}`], { cwd: dir, env });
    expect({ status: check.status, stdout: check.stdout }).toEqual({
      status: 0,
      stdout: expect.stringMatching(new RegExp(`^${account?.name}\\s+OK\\s+balance `)),
    });
  }, 180_000);

  test('runs through npx from the tarball', async () => {
    const output = await runOk(
      'npx',
      ['--yes', '--prefer-offline', `--package=${tarball}`, '--', 'itniotech-exporter', '--version'],
      { cwd: dir },
    );
    expect(output.trim()).toBe(`${pkg.name} ${pkg.version} (node ${process.version})`);
  }, 180_000);
});
