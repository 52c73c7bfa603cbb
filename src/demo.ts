import { loadConfig, ConfigError } from './config/config';
import { startExporter } from './exporter/start-exporter';
import { createLogger } from './log/logger';
import { DEMO_ACCOUNTS, demoConfigYaml } from './simulator/demo-accounts';
import { startSimulator, type Simulator } from './simulator/simulator';

const DEMO_CONFIG_PATH = '<demo accounts>';

const DEMO_DEFAULTS: ReadonlyArray<readonly [flag: string, value: string]> = [
  ['config.file', DEMO_CONFIG_PATH],
  ['web.listen-address', '127.0.0.1:10042'],
  ['poll.interval', '5s'],
  // Rented numbers too, so a newcomer sees them: one demo number is due within a week.
  ['collector.numbers', 'true'],
];

/**
 * The demo's flags, then those given after `npm run demo --`. A default goes in only when its
 * flag is not given: "later flags win" does not hold for a repeatable one (--web.listen-address
 * given twice listens on both).
 */
function demoArgv(given: readonly string[]): string[] {
  const has = (flag: string): boolean => given.some((a) => a === `--${flag}` || a.startsWith(`--${flag}=`));
  return [...DEMO_DEFAULTS.filter(([flag]) => !has(flag)).map(([flag, value]) => `--${flag}=${value}`), ...given];
}

/** `npm run demo`: the simulator plus the exporter polling it every 5s, on loopback. */
async function main(): Promise<void> {
  let simulator: Simulator;
  try {
    simulator = await startSimulator({ accounts: DEMO_ACCOUNTS, host: '127.0.0.1', port: 10043 });
  } catch {
    simulator = await startSimulator({ accounts: DEMO_ACCOUNTS, host: '127.0.0.1', port: 0 });
  }
  const command = loadConfig({
    argv: demoArgv(process.argv.slice(2)),
    env: {},
    readFile: (path) => {
      if (path !== DEMO_CONFIG_PATH) throw Object.assign(new Error('not found'), { code: 'ENOENT' });
      return demoConfigYaml(simulator.baseUrl);
    },
  });
  if (command.kind !== 'run') throw new Error('the demo takes exporter flags only');
  const logger = createLogger(command.config.logLevel);
  const exporter = await startExporter(command.config, { logger });
  process.stdout.write(
    [
      '',
      'itniotech-exporter demo: the exporter polls a built-in ITNIO simulator whose balances fall over time.',
      `  status page  ${exporter.url}/`,
      `  metrics      ${exporter.url}${command.config.telemetryPath}`,
      `  simulator    ${simulator.baseUrl}/getBalance and ${simulator.url}/number/queryPage (accounts: ${DEMO_ACCOUNTS.map((a) => a.name).join(', ')})`,
      'Press Ctrl+C to stop.',
      '',
    ].join('\n') + '\n',
  );
  const stop = (): void => {
    void exporter
      .close()
      .then(() => simulator.close())
      .then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  const message = error instanceof ConfigError || error instanceof Error ? error.message : String(error);
  process.stderr.write(`itniotech-exporter demo: ${message}\n`);
  process.exit(1);
});
