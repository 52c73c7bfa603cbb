#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { runCheck } from './cli/check';
import { ConfigError, helpText, loadConfig, type ExporterConfig } from './config/config';
import { clientFor } from './app/client';
import { startExporter } from './app/exporter';
import { createLogger } from './log/logger';
import { EXPORTER_NAME, EXPORTER_VERSION } from './app/version';

async function main(): Promise<number> {
  const sources = { argv: process.argv.slice(2), env: process.env, readFile: (path: string) => readFileSync(path, 'utf8') };
  let command;
  try {
    command = loadConfig(sources);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${EXPORTER_NAME}: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
  if (command.kind === 'help') {
    process.stdout.write(`${helpText()}\n`);
    return 0;
  }
  if (command.kind === 'version') {
    process.stdout.write(`${EXPORTER_NAME} ${EXPORTER_VERSION} (node ${process.version})\n`);
    return 0;
  }
  const { config, mode } = command;
  if (mode === 'config-check') {
    for (const warning of [...config.warnings, ...(config.web?.warnings ?? [])]) process.stdout.write(`warning: ${warning}\n`);
    process.stdout.write(`configuration OK: ${config.accounts.length} account(s): ${config.accounts.map((a) => a.name).join(', ')}\n`);
    return 0;
  }
  if (mode === 'check') {
    const ok = await runCheck({ client: clientFor(config), accounts: config.accounts, concurrency: config.pollConcurrency, write: (line) => process.stdout.write(`${line}\n`) });
    return ok ? 0 : 1;
  }

  const logger = createLogger(config.logLevel);
  // Handlers go in before start-up, so a signal during start-up is not the default hard kill.
  const stopRequested = new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  // SIGHUP's default action is to terminate; until the exporter runs, a reload has nothing to do.
  const hangupDuringStart = (): void => logger.warn('SIGHUP during start-up ignored: the configuration is being read now');
  process.on('SIGHUP', hangupDuringStart);
  let exporter;
  try {
    const reloadConfig = (): ExporterConfig => {
      const again = loadConfig(sources);
      if (again.kind !== 'run') throw new ConfigError(['the flags no longer describe a running exporter']);
      return again.config;
    };
    exporter = await startExporter(config, { logger, reloadConfig });
  } catch (error) {
    logger.fatal({ err: error instanceof Error ? error.message : String(error) }, 'cannot start');
    process.off('SIGHUP', hangupDuringStart);
    return 1;
  }
  const running = exporter;
  const onHangup = (): void => void running.reload('SIGHUP');
  process.on('SIGHUP', onHangup);
  process.off('SIGHUP', hangupDuringStart);
  const signal = await stopRequested;
  process.off('SIGHUP', onHangup);
  logger.info({ signal }, 'shutting down');
  await running.close();
  logger.info('stopped');
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`${EXPORTER_NAME}: unexpected error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
