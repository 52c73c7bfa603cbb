import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, type ExporterConfig } from '../../src/config/config';
import { startExporter, type RunningExporter } from '../../src/exporter/start-exporter';
import { createLogger } from '../../src/log/logger';
import type { Scheduler } from '../../src/polling/scheduler';
import { startSimulator, type SimulatedAccount, type Simulator } from '../../src/simulator/simulator';

export const ACCOUNT_A: SimulatedAccount = {
  apiKey: 'keyAlpha1',
  apiSecret: 'alpha-secret-value',
  balance: 100,
  gift: 5,
  credit: 0,
  spendPerHour: 0,
};
export const ACCOUNT_B: SimulatedAccount = {
  apiKey: 'keyBravo2',
  apiSecret: 'bravo-secret-value',
  balance: 200,
  gift: 0,
  credit: 0,
  spendPerHour: 0,
};
export const ACCOUNT_C: SimulatedAccount = {
  apiKey: 'keyCharlie3',
  apiSecret: 'charlie-secret-value',
  balance: 300,
  gift: 0,
  credit: 0,
  spendPerHour: 0,
};

/** Never ticks: tests decide when polls happen (start-up and reloads). */
export const idleScheduler: Scheduler = { start: () => undefined, stop: async () => undefined };

export function loadRunConfig(argv: string[], env: Record<string, string> = {}): ExporterConfig {
  const command = loadConfig({ argv, env, readFile: (path) => readFileSync(path, 'utf8') });
  if (command.kind !== 'run') throw new Error(`expected a run command, got ${command.kind}`);
  return command.config;
}

export interface Harness {
  simulator: Simulator;
  exporter: RunningExporter;
  close(): Promise<void>;
}

/** The simulator with the given accounts and an in-process exporter started from `argv`, reloadable with the same argv. */
export async function startHarness(
  accounts: SimulatedAccount[],
  argv: (simulator: Simulator) => string[],
  env: Record<string, string> = {},
): Promise<Harness> {
  const simulator = await startSimulator({ accounts });
  const args = ['--web.listen-address=127.0.0.1:0', '--log.level=silent', ...argv(simulator)];
  try {
    const config = loadRunConfig(args, env);
    const exporter = await startExporter(config, {
      logger: createLogger('silent'),
      scheduler: idleScheduler,
      reloadConfig: () => loadRunConfig(args, env),
    });
    return { simulator, exporter, close: () => closeBoth(exporter, simulator) };
  } catch (error) {
    await simulator.close();
    throw error;
  }
}

/** Stops the exporter first (its polls end), then its simulator. */
export async function closeBoth(exporter: RunningExporter, simulator: Simulator): Promise<void> {
  await exporter.close();
  await simulator.close();
}

/**
 * The configuration of an exporter polling `simulator` every minute (max age 10 minutes) for the
 * named accounts, written as an accounts file with secret files in `dir`.
 */
export function minuteConfigFor(
  dir: string,
  simulator: Simulator,
  accounts: ReadonlyArray<readonly [name: string, account: SimulatedAccount]>,
): ExporterConfig {
  for (const [name, a] of accounts) writeFileSync(join(dir, name), `${a.apiSecret}\n`);
  const yaml = accounts
    .map(([name, a]) => `  - name: ${name}\n    api_key: ${a.apiKey}\n    api_secret_file: ${join(dir, name)}\n`)
    .join('');
  writeFileSync(join(dir, 'accounts.yml'), `accounts:\n${yaml}`);
  return loadRunConfig([
    '--web.listen-address=127.0.0.1:0',
    '--log.level=silent',
    '--poll.interval=1m',
    '--poll.max-age=10m',
    `--api.base-url=${simulator.baseUrl}`,
    `--config.file=${join(dir, 'accounts.yml')}`,
  ]);
}
