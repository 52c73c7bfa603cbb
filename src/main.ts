#!/usr/bin/env node
import { clientFor, numbersClientFor } from './exporter/itnio-client';
import { EXPORTER_NAME, EXPORTER_VERSION } from './exporter/version';
import { runCheck } from './cli/check';
import { checkNumbers } from './cli/check-numbers';
import { configCheckLines } from './cli/config-check';
import { serve, type WatchFiles } from './cli/serve';
import { ConfigWatcher } from './config-watch/watch';
import { SettledLoader } from './config-watch/settled-load';
import {
  ConfigError,
  helpText,
  loadConfig,
  readConfigFile,
  type CliCommand,
  type ExporterConfig,
} from './config/config';

const sources = { argv: process.argv.slice(2), env: process.env, readFile: readConfigFile };
const print = (line: string): void => void process.stdout.write(`${line}\n`);
// A changed file is applied once it has stayed the same this long (never half written).
const QUIET_MS = 500;
const loader = new SettledLoader({
  load: (readFile) => loadConfig({ ...sources, readFile }),
  readFile: readConfigFile,
  quietMs: QUIET_MS,
  maxWaitMs: 30_000,
});
const watchFiles: WatchFiles = (reload, logger) =>
  new ConfigWatcher({
    files: () => loader.files,
    readFile: readConfigFile,
    reload,
    logger,
    quietMs: QUIET_MS,
    rescanMs: 10_000,
  });

/** The configuration again from the same flags and environment, for SIGHUP, /-/reload and changed files. */
async function reloadConfig(): Promise<ExporterConfig> {
  const again = await loader.reload();
  if (again.kind !== 'run') throw new ConfigError(['the flags no longer describe a running exporter']);
  return again.config;
}

async function main(): Promise<number> {
  let command: CliCommand;
  try {
    command = loader.initial();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${EXPORTER_NAME}: ${error.message}\n`);
    return 1;
  }
  if (command.kind === 'help') {
    print(helpText());
    return 0;
  }
  if (command.kind === 'version') {
    print(`${EXPORTER_NAME} ${EXPORTER_VERSION} (node ${process.version})`);
    return 0;
  }
  const { config, mode } = command;
  switch (mode) {
    case 'config-check':
      configCheckLines(config).forEach(print);
      return 0;
    case 'check': {
      const client = clientFor(config);
      const allOk = await runCheck({
        client,
        accounts: config.accounts,
        concurrency: config.pollConcurrency,
        write: print,
      });
      const numbersOk =
        !config.numbers.enabled ||
        (await checkNumbers({ client: numbersClientFor(config), accounts: config.accounts, write: print }));
      return allOk && numbersOk ? 0 : 1;
    }
    case 'serve':
      return serve(config, reloadConfig, config.configWatch ? watchFiles : undefined, () => loader.close());
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `${EXPORTER_NAME}: unexpected error: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
