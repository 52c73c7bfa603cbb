/**
 * deploy/systemd/itniotech-exporter.service: `systemd-analyze verify` accepts it, its offline
 * security exposure is at most 2.0, and the API secret reaches the exporter as a credential:
 * the unit's own environment, with %d made a directory holding the credential systemd makes of
 * the secret file, is all the exporter needs for a successful --check. under-systemd.test.ts runs
 * the unit under a real systemd.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator, type Simulator } from '../../src/simulator/simulator';
import { testWithBinaries } from '../support/binaries';
import { MAIN, ROOT } from '../support/exporter-process';
import { runCli } from '../support/run-cli';

const UNIT_NAME = 'itniotech-exporter.service';
const unit = readFileSync(join(ROOT, 'deploy', 'systemd', UNIT_NAME), 'utf8');
const MAX_EXPOSURE = 2.0;

/** Every value of `key=` in the unit, in order (no line continuations are used in it). */
const values = (key: string): string[] =>
  [...unit.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].map((m) => m[1] as string);

describe(UNIT_NAME, () => {
  let dir: string;
  let unitPath: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'itnio-systemd-'));
    unitPath = join(dir, UNIT_NAME);
    // verify checks that ExecStart= exists: point it at the exporter built here.
    writeFileSync(unitPath, unit.replace(/^ExecStart=.*$/m, `ExecStart=${process.execPath} ${MAIN}`));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  testWithBinaries(['systemd-analyze'], 'systemd-analyze verify accepts it', () => {
    const result = spawnSync('systemd-analyze', ['verify', unitPath], { encoding: 'utf8' });
    expect({
      status: result.status,
      complaints: `${result.stdout}${result.stderr}`.split('\n').filter((l) => l.includes(UNIT_NAME)),
    }).toEqual({ status: 0, complaints: [] });
  });

  testWithBinaries(
    ['systemd-analyze'],
    `systemd-analyze security --offline=yes rates its exposure ${MAX_EXPOSURE} or lower`,
    () => {
      const result = spawnSync('systemd-analyze', ['security', '--offline=yes', unitPath], { encoding: 'utf8' });
      const exposure = /Overall exposure level for \S+: ([\d.]+)/.exec(result.stdout);
      expect(exposure).not.toBeNull();
      console.log(`systemd-analyze security --offline=yes: exposure ${exposure?.[1]}`);
      expect(Number(exposure?.[1])).toBeLessThanOrEqual(MAX_EXPOSURE);
    },
  );

  test('runs as a dynamic unprivileged user, restarts on failure, and takes the secret as a credential only', () => {
    expect(values('DynamicUser')).toEqual(['yes']);
    expect(values('Restart')).toEqual(['on-failure']);
    expect(values('MemoryDenyWriteExecute')).toEqual(['no']);
    expect(values('ExecStart')).toEqual(['/usr/local/bin/itniotech-exporter']);
    // A directory: each file FILE in it becomes the credential itnio_FILE.
    expect(values('LoadCredential')).toEqual(['itnio:/etc/itniotech-exporter/secrets']);
    expect(values('Environment').filter((e) => e.startsWith('ITNIO_'))).toEqual([
      'ITNIO_API_SECRET_FILE=%d/itnio_api_secret',
    ]);
    expect(unit).not.toMatch(/ITNIO_API_SECRET=/);
  });

  describe('with the credential in place', () => {
    let simulator: Simulator;
    const account = {
      apiKey: 'sysdKey1',
      apiSecret: 'systemd-credential-secret',
      balance: 42,
      gift: 0,
      credit: 0,
      spendPerHour: 0,
    };
    beforeAll(async () => {
      simulator = await startSimulator({ accounts: [account] });
    });
    afterAll(() => simulator.close());

    test("the unit's environment, %d resolved, is enough for --check", async () => {
      const credentials = join(dir, 'credentials');
      mkdirSync(credentials, { mode: 0o700 });
      // The file the install steps write, /etc/itniotech-exporter/secrets/api_secret, as systemd names it.
      const [id] = (values('LoadCredential')[0] ?? '').split(':');
      writeFileSync(join(credentials, `${id}_api_secret`), account.apiSecret, { mode: 0o400 });
      const env: Record<string, string> = { CREDENTIALS_DIRECTORY: credentials, ITNIO_API_KEY: account.apiKey };
      for (const assignment of values('Environment')) {
        const [name, ...value] = assignment.split('=');
        env[name as string] = value.join('=').replace(/%d/g, credentials);
      }
      const check = await runCli(['--check', `--api.base-url=${simulator.baseUrl}`], env);
      expect({ status: check.status, stdout: check.stdout }).toEqual({
        status: 0,
        stdout: expect.stringContaining('OK      balance 42'),
      });
    });
  });
});
