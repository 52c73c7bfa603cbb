import { parseDecimal } from '../../src/input/decimal';

describe('parseDecimal', () => {
  test.each([
    ['12.5', 12.5],
    ['-3', -3],
    ['+7.', 7],
    ['.5', 0.5],
    [' 99.990000 ', 99.99],
    ['0', 0],
  ])('reads %j as %p', (text, expected) => {
    expect(parseDecimal(text)).toBe(expected);
    expect(parseDecimal(text, { exponent: true })).toBe(expected);
  });

  test.each(['', ' ', '.', '-', '1_000', '0x10', 'Infinity', 'NaN', '1,5', '12 5', '1e3'])(
    'refuses %j without exponent',
    (text) => {
      expect(parseDecimal(text)).toBeUndefined();
    },
  );

  test('reads an exponent only when asked to, and never returns an infinite number', () => {
    expect(parseDecimal('1e3', { exponent: true })).toBe(1000);
    expect(parseDecimal('2.5E-1', { exponent: true })).toBe(0.25);
    expect(parseDecimal('1e309', { exponent: true })).toBeUndefined();
    expect(parseDecimal('9'.repeat(400))).toBeUndefined();
  });
});
