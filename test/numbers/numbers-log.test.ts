import { createLogger } from '../../src/log/logger';
import type { RentedNumber } from '../../src/itnio/numbers-response';
import { createNumbersLog } from '../../src/numbers/numbers-log';

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger('debug', { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { lines, logger };
}

const inUse = (count: number): RentedNumber[] =>
  Array.from({ length: count }, (_, i) => ({
    number: String(100000 + i),
    country: '',
    type: '',
    state: 'in_use',
    dueDate: 'd',
    dueAt: 1_800_000_000 + i,
  }));

describe('numbers poll log lines', () => {
  it('warns once per account when the due series are capped at 1000', () => {
    const { lines, logger } = capture();
    const log = createNumbersLog();
    const result = {
      account: { name: 'big' },
      durationSeconds: 1,
      outcome: { kind: 'success' as const, numbers: inUse(1200), total: 1200, skipped: [], requests: 12 },
    };
    log(logger, result);
    log(logger, result);
    const warnings = lines.filter((l) => l.level === 'warn');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ account: 'big', poll: 'numbers', in_use: 1200, exported: 1000 });
    expect(String(warnings[0]?.msg)).toContain('only the 1000 due soonest get a due series');
  });

  it('says what a status means and what to do, naming the page', () => {
    const { lines, logger } = capture();
    createNumbersLog()(logger, {
      account: { name: 'pay' },
      durationSeconds: 0.2,
      outcome: { kind: 'api_error', status: '-15', reason: 'query too frequently', page: 2, requests: 2 },
    });
    expect(lines[0]).toMatchObject({ level: 'warn', account: 'pay', status: '-15', page: 2 });
    expect(String(lines[0]?.msg)).toMatch(
      /^numbers poll failed: status -15 from number\/queryPage page 2: query too frequently \(rate limited\) \(ITNIO says "query too frequently"\); hint: the exporter backs this account off/,
    );
  });

  it('logs skipped records as a warning, and a plain success at debug only', () => {
    const { lines, logger } = capture();
    createNumbersLog()(logger, {
      account: { name: 'pay' },
      durationSeconds: 0.2,
      outcome: {
        kind: 'success',
        numbers: inUse(2),
        total: 3,
        skipped: ['page 1: records[2] is not an object'],
        requests: 1,
      },
    });
    expect(lines.map((l) => l.level)).toEqual(['debug', 'warn']);
    expect(lines[1]).toMatchObject({ skipped: ['page 1: records[2] is not an object'] });
  });
});
