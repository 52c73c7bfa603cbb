import { hasControlCharacter, toOneLine } from '../../src/input/control-characters';

describe('control characters', () => {
  test.each([
    ['a NUL', 'a\u0000b'],
    ['a tab', 'a\tb'],
    ['a line feed', 'a\nb'],
    ['an escape', 'a\u001b[31mb'],
    ['DEL', 'a\u007fb'],
    ['a C1 control (NEL)', 'a\u0085b'],
  ])('finds %s', (_what, text) => {
    expect(hasControlCharacter(text)).toBe(true);
  });

  test('finds none in printable text, a line separator included', () => {
    expect(hasControlCharacter('zz-secret 7bz1 ÄÖ €')).toBe(false);
    expect(hasControlCharacter('a\u2028b')).toBe(false);
  });

  test('puts text on one line: each run of controls or separators becomes one space', () => {
    expect(toOneLine('line1\r\nline2\u2028\u2029line3\u0085end')).toBe('line1 line2 line3 end');
    expect(toOneLine('plain text')).toBe('plain text');
  });
});
