import { stringify } from 'yaml';
import { loadConfig, type ExporterConfig } from '../../src/config/config';
import { startExporter, type RunningExporter } from '../../src/exporter/start-exporter';
import { createLogger } from '../../src/log/logger';
import type { Scheduler } from '../../src/polling/scheduler';
import { startSimulator, type SimulatedAccount, type Simulator } from '../../src/simulator/simulator';
import { closeBoth } from './exporter-harness';
import { eventually } from './exporter-process';

export type FixtureAccount = SimulatedAccount & { name: string; lowBalanceThreshold?: number };

export interface StatusFixture {
  simulator: Simulator;
  exporter: RunningExporter;
  config: ExporterConfig;
  close(): Promise<void>;
}

/** A scheduler that only ticks when the test says so. */
export function manualScheduler(): Scheduler & { tick(): void } {
  let tick: (() => void) | undefined;
  return {
    start: (fn) => void (tick = fn),
    stop: async () => void (tick = undefined),
    tick: () => tick?.(),
  };
}

/** The simulator with these accounts and the exporter polling it, both on 127.0.0.1 port 0. */
export async function startStatusFixture(
  accounts: readonly FixtureAccount[],
  flags: readonly string[],
  scheduler?: Scheduler,
): Promise<StatusFixture> {
  const simulator = await startSimulator({ accounts, host: '127.0.0.1', port: 0 });
  try {
    const yaml = stringify({
      accounts: accounts.map((a) => ({
        name: a.name,
        api_key: a.apiKey,
        api_secret: a.apiSecret,
        base_url: simulator.baseUrl,
        ...(a.lowBalanceThreshold === undefined ? {} : { low_balance_threshold: a.lowBalanceThreshold }),
      })),
    });
    const command = loadConfig({
      argv: ['--config.file=accounts.yml', '--web.listen-address=127.0.0.1:0', '--log.level=silent', ...flags],
      env: {},
      readFile: (path) => {
        if (path !== 'accounts.yml') throw Object.assign(new Error('not found'), { code: 'ENOENT' });
        return yaml;
      },
    });
    if (command.kind !== 'run') throw new Error(`unexpected command ${command.kind}`);
    const exporter = await startExporter(command.config, {
      logger: createLogger('silent'),
      ...(scheduler ? { scheduler } : {}),
    });
    return {
      simulator,
      exporter,
      config: command.config,
      close: () => closeBoth(exporter, simulator),
    };
  } catch (error) {
    await simulator.close();
    throw error;
  }
}

/** Resolves once `check` is true, polling; rejects naming `what` after `timeoutMs`. */
export async function waitUntil(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  await eventually(() => (check() ? true : undefined), what, timeoutMs);
}
