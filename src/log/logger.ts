import pino, { type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from './levels';

export type { Logger };

/** Paths that must never be written, in case an object holding one ever reaches a log call. */
const REDACT_PATHS = [
  'apiSecret',
  'apiKey',
  'api_secret',
  'api_key',
  'headers',
  'config',
  '*.apiSecret',
  '*.apiKey',
  '*.headers',
  '*.config',
  'Sign',
  '*.Sign',
  'authorization',
  '*.authorization',
];

export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'itniotech-exporter' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination ?? pino.destination({ dest: 1, sync: true }),
  );
}
