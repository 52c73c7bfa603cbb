import type { LastError } from '../../src/store/account-store';
import type { HistoryPoint } from '../../src/store/balance-history';
import { chartPoints, describeError } from '../../src/status-page/report';

const AT = Date.UTC(2025, 0, 1, 12);

describe('describeError', () => {
  // The kind comes from how the poll failed, not from what the code looks like.
  const cases: Array<{ name: string; error: LastError; kind: 'api_status' | 'request_failure' }> = [
    {
      name: 'an API status',
      error: {
        kind: 'api_error',
        code: '-1',
        meaning: 'authentication error',
        detail: 'authentication error',
        atMs: AT,
      },
      kind: 'api_status',
    },
    {
      name: 'a request failure',
      error: {
        kind: 'failure',
        code: 'timeout',
        meaning: 'no answer within the timeout',
        detail: 'after 10s',
        atMs: AT,
      },
      kind: 'request_failure',
    },
    {
      name: 'a failure reason that looks like a number',
      error: { kind: 'failure', code: '504', meaning: 'unexpected HTTP status', detail: 'gateway timeout', atMs: AT },
      kind: 'request_failure',
    },
    {
      name: 'an API status that is not a number',
      error: { kind: 'api_error', code: 'E1', meaning: 'undocumented status', detail: '', atMs: AT },
      kind: 'api_status',
    },
  ];
  test.each(cases)('$name is $kind', ({ error, kind }) => {
    const report = describeError(error);
    expect(report.kind).toBe(kind);
    expect(report.code).toBe(error.code);
    expect(report.at).toBe('2025-01-01T12:00:00.000Z');
    expect(report.hint.length).toBeGreaterThan(0);
  });
});

describe('chartPoints', () => {
  const MINUTE = 60_000;
  const points = (count: number): HistoryPoint[] =>
    Array.from({ length: count }, (_, i) => ({
      atMs: i * MINUTE,
      firstAtMs: i * MINUTE,
      balance: 10_000 - i,
      spent: 1,
    }));

  test('keeps up to the limit untouched', () => {
    expect(chartPoints(points(60), 60)).toEqual(points(60));
    expect(chartPoints([], 60)).toEqual([]);
  });

  test('thins a day of minute polls to the limit, keeping both ends and an even spread', () => {
    const day = points(24 * 60 + 1);
    const kept = chartPoints(day, 60);
    expect(kept.length).toBeLessThanOrEqual(60);
    expect(kept.length).toBeGreaterThanOrEqual(55);
    expect(kept[0]).toEqual(day[0]);
    expect(kept[kept.length - 1]).toEqual(day[day.length - 1]);
    // 24 h over 59 slices is about 24.4 minutes; no two kept points are more than two slices apart.
    for (let i = 1; i < kept.length; i++) {
      const step = (kept[i] as HistoryPoint).atMs - (kept[i - 1] as HistoryPoint).atMs;
      expect(step).toBeGreaterThan(0);
      expect(step).toBeLessThanOrEqual(2 * ((24 * 60) / 59) * MINUTE);
    }
  });
});
