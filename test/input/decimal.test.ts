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
  });

  test.each(['', ' ', '.', '-', '1_000', '0x10', 'Infinity', 'NaN', '1,5', '12 5', '1e3'])('refuses %j', (text) => {
    expect(parseDecimal(text)).toBeUndefined();
  });

  test('never returns an infinite number', () => {
    expect(parseDecimal('9'.repeat(400))).toBeUndefined();
  });
});
