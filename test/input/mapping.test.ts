import { isMapping } from '../../src/input/mapping';

describe('isMapping', () => {
  test('is true for an object, false for a list, null and scalars', () => {
    expect(isMapping({ accounts: [] })).toBe(true);
    expect(isMapping({})).toBe(true);
    for (const value of [[], null, undefined, 'a: b', 1, true]) expect(isMapping(value)).toBe(false);
  });
});
