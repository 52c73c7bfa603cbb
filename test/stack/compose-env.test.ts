/**
 * The compose file's exporter environment, as `.env.example` sets it up, must be one the
 * exporter accepts: option A (one account from the environment) and option B (a file).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { testWithBinaries } from '../support/binaries';
import { assertBuilt, MAIN, ROOT } from '../support/exporter-process';

/** The exporter service's environment after docker-compose resolved `.env`. */
function composeEnvironment(dir: string, envFile: string): Record<string, string> {
  writeFileSync(join(dir, '.env'), envFile);
  const result = spawnSync('docker-compose', ['config'], { cwd: dir, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`docker-compose config failed: ${result.stderr}`);
  const config = parse(result.stdout) as { services: Record<string, { environment?: Record<string, string> }> };
  return config.services.exporter?.environment ?? {};
}

/** Runs `--config.check` with container paths mapped onto files in `dir`. */
function configCheck(dir: string, environment: Record<string, string>): { status: number | null; output: string } {
  assertBuilt();
  const mapped = Object.fromEntries(
    Object.entries(environment).map(([k, v]) => [
      k,
      v
        .replace('/run/secrets/itnio_api_secret', join(dir, 'secrets', 'itnio_api_secret'))
        .replace('/etc/itniotech/', `${join(dir, 'config')}/`),
    ]),
  );
  const result = spawnSync(process.execPath, [MAIN, '--config.check'], {
    env: { PATH: process.env.PATH ?? '', ...mapped },
    encoding: 'utf8',
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('docker-compose.yml with .env.example', () => {
  let dir: string;
  let example: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'itnio-compose-'));
    for (const file of ['docker-compose.yml', '.env.example']) copyFileSync(join(ROOT, file), join(dir, file));
    mkdirSync(join(dir, 'secrets'));
    mkdirSync(join(dir, 'config'));
    writeFileSync(join(dir, 'secrets', 'itnio_api_secret'), 'compose-test-secret\n');
    writeFileSync(
      join(dir, 'config', 'accounts.yml'),
      'accounts:\n  - name: shop\n    api_key: composeK1\n    api_secret: s3cr3t-value\n',
    );
    example = readFileSync(join(dir, '.env.example'), 'utf8');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  testWithBinaries(['docker-compose'], 'option A: one account from the environment and the Docker secret', () => {
    const env = composeEnvironment(dir, example.replace(/^ITNIO_API_KEY=$/m, 'ITNIO_API_KEY=composeK1'));
    expect(env.ITNIO_API_SECRET_FILE).toBe('/run/secrets/itnio_api_secret');
    const { status, output } = configCheck(dir, env);
    expect(output).toContain('1 account(s): main');
    expect(status).toBe(0);
  });

  testWithBinaries(['docker-compose'], 'option B: several accounts from a file', () => {
    const optionB = example
      .replace(/^ITNIO_ACCOUNT=main$/m, 'ITNIO_ACCOUNT=')
      .replace(/^# (ITNIO_CONFIG_FILE=.*)$/m, '$1')
      .replace(/^# (ITNIO_API_SECRET_FILE=)$/m, '$1');
    const env = composeEnvironment(dir, optionB);
    expect(env.ITNIO_CONFIG_FILE).toBe('/etc/itniotech/accounts.yml');
    const { status, output } = configCheck(dir, env);
    expect(output).toContain('1 account(s): shop');
    expect(status).toBe(0);
  });
});
