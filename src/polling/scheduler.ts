import cron from 'node-cron';
import type { Logger } from '../log/logger';
import { CRON_TIMEZONE } from '../config/schedule';

/** Calls `tick` on a schedule until stopped. Injected so tests can tick by hand. */
export interface Scheduler {
  start(tick: () => void): void;
  stop(): Promise<void>;
}

export function createCronScheduler(expression: string, logger: Logger): Scheduler {
  let task: ReturnType<typeof cron.createTask> | undefined;
  const cronLogger = {
    info: (message: string) => logger.debug({ component: 'scheduler' }, message),
    warn: (message: string) => logger.warn({ component: 'scheduler' }, message),
    error: (message: string | Error) => logger.error({ component: 'scheduler' }, String(message)),
    debug: (message: string | Error) => logger.debug({ component: 'scheduler' }, String(message)),
  };
  return {
    start(tick) {
      // The poller keeps polls of one account from overlapping, so each tick only enqueues.
      task = cron.createTask(expression, () => tick(), { name: 'itniotech-poll', logger: cronLogger, timezone: CRON_TIMEZONE });
      void task.start();
    },
    async stop() {
      if (task) await task.destroy();
      task = undefined;
    },
  };
}
