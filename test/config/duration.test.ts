import { formatDuration, parseDuration } from '../../src/config/duration';

describe('parseDuration', () => {
  test.each([
    ['1s', 1000],
    ['500ms', 500],
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['24h', 86_400_000],
    ['1d', 86_400_000],
  ])('%s is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  test.each([
    '',
    '10',
    's',
    '1.5s',
    '-1s',
    '1x',
    '1 s',
    'ten seconds',
    '99999999999999999999d',
    '30m30m',
    '1h1h',
    '30m1h',
    '1s1m',
  ])('%j is refused', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });

  test('formatDuration reads back through parseDuration', () => {
    for (const ms of [1000, 45_000, 90_000, 5_400_000, 86_400_000, 1_500]) {
      expect(parseDuration(formatDuration(ms))).toBe(ms);
    }
  });
});
