import { startExporter } from '../exporter/start-exporter';
import type { ExporterConfig } from '../config/config';
import { createLogger, type Logger } from '../log/logger';

/** Starts reloading on file changes (src/config-watch); returns what stops it. */
export type WatchFiles = (reload: (trigger: string) => Promise<unknown>, logger: Logger) => { close(): void };

/**
 * Runs the exporter until SIGTERM or SIGINT; SIGHUP reloads the configuration. Resolves to the
 * process exit code: 0 after a clean stop, 1 when it cannot start.
 */
export async function serve(
  config: ExporterConfig,
  reloadConfig: () => ExporterConfig | Promise<ExporterConfig>,
  watchFiles?: WatchFiles,
  /** Ends a reload still waiting for files to settle, so it holds up no shutdown. */
  cancelReload?: () => void,
): Promise<number> {
  const logger = createLogger(config.logLevel);
  // Handlers go in before start-up, so a signal during start-up is not the default hard kill.
  const stopRequested = new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  // SIGHUP's default action is to terminate; until the exporter runs, a reload has nothing to do.
  const hangupDuringStart = (): void =>
    logger.warn('SIGHUP during start-up ignored: the configuration is being read now');
  process.on('SIGHUP', hangupDuringStart);
  let exporter;
  try {
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
  const watcher = watchFiles?.((trigger) => running.reload(trigger), logger);
  const signal = await stopRequested;
  process.off('SIGHUP', onHangup);
  watcher?.close();
  cancelReload?.();
  logger.info({ signal }, 'shutting down');
  await running.close();
  logger.info('stopped');
  return 0;
}
