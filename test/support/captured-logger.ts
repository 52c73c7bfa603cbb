import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/log/logger';
import type { LogLevel } from '../../src/log/levels';

/** A real logger whose JSON lines the test reads back, parsed. */
export function capturedLogger(level: LogLevel = 'debug'): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean))
        lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger(level, sink), lines };
}
