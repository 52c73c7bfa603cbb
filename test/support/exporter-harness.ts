import { readFileSync } from 'node:fs';
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
