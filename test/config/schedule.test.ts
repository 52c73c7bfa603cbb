import cron from 'node-cron';
import { intervalToCron } from '../../src/config/schedule';

/** Gaps between the next fire times node-cron itself computes for the expression. */
function gapsMs(expression: string, count: number): number[] {
  const task = cron.createTask(expression, () => undefined);
  const runs = task.getNextRuns(count).map((d) => d.getTime());
  void task.destroy();
  return runs.slice(1).map((t, i) => t - (runs[i] as number));
}

describe('intervalToCron', () => {
  test.each([
    '1s',
    '2s',
    '5s',
    '15s',
    '30s',
    '1m',
    '2m',
    '5m',
    '10m',
    '15m',
    '30m',
    '1h',
    '2h',
    '3h',
    '6h',
    '8h',
    '12h',
    '24h',
  ])('%s fires evenly, exactly every interval', (text) => {
    const unit = { s: 1000, m: 60_000, h: 3_600_000 }[text.slice(-1) as 's' | 'm' | 'h'];
    const interval = Number(text.slice(0, -1)) * unit;
    const result = intervalToCron(interval);
    if (!('expression' in result)) throw new Error(result.error);
    expect(cron.validate(result.expression)).toBe(true);
    const count = Math.min(30, Math.ceil((2 * 86_400_000) / interval) + 1);
    for (const gap of gapsMs(result.expression, count)) expect(gap).toBe(interval);
  });

  test.each([7_000, 45_000, 90_000, 7 * 60_000, 5 * 3_600_000, 1_500, 25 * 3_600_000, 500])(
    '%d ms is refused with the values that work',
    (ms) => {
      const result = intervalToCron(ms);
      expect('error' in result).toBe(true);
      if ('error' in result) expect(result.error).toMatch(/1s|outside/);
    },
  );

  test('the refusal lists the working values', () => {
    const result = intervalToCron(45_000);
    expect('error' in result && result.error).toContain('30s');
    expect('error' in result && result.error).toContain('15m');
    expect('error' in result && result.error).toContain('12h');
  });
});
