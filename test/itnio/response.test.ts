import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseBalanceResponse } from '../../src/itnio/response';

const fixture = (name: string): string => readFileSync(join(__dirname, '../fixtures/responses', name), 'utf8');

describe('parseBalanceResponse', () => {
  test.each([
    ['success.json', { kind: 'success', balance: 99.99, gift: 50, credit: 0 }],
    ['success-negative.json', { kind: 'success', balance: -12.5, gift: 0, credit: 100 }],
    ['balance-exponent.json', { kind: 'success', balance: 1000, gift: 0, credit: 0 }],
    ['status-16.json', { kind: 'api_error', status: '-16', reason: 'timestamp expires' }],
    ['status-1.json', { kind: 'api_error', status: '-1', reason: 'authentication error' }],
    ['status-unknown.json', { kind: 'api_error', status: '-99', reason: 'something new' }],
  ])('%s parses to %j', (file, expected) => {
    expect(parseBalanceResponse(fixture(file))).toEqual(expected);
  });

  test.each([
    ['balance-na.json', 'field "balance" is not a decimal number'],
    ['balance-empty.json', 'field "balance" is not a decimal number'],
    ['balance-infinity.json', 'field "balance" is not a decimal number'],
    ['balance-null.json', 'field "balance" is not a decimal number'],
    ['missing-credit.json', 'field "credit" is missing'],
    ['truncated.json', 'body is not valid JSON'],
    ['html.html', 'body is HTML, not JSON'],
    ['empty.txt', 'body is empty'],
    ['array.json', 'body is not a JSON object'],
    ['bare-string.json', 'body is not a JSON object'],
    ['missing-status.json', 'field "status" is missing or not an integer'],
    ['status-not-integer.json', 'field "status" is missing or not an integer'],
  ])('%s is an invalid response (%s), never a zero', (file, problem) => {
    expect(parseBalanceResponse(fixture(file))).toEqual({ kind: 'invalid', problem });
  });

  test('accepts JSON numbers as well as strings, and normalises status spellings', () => {
    expect(parseBalanceResponse('{"status":0,"balance":5,"gift":"1.5","credit":0}')).toEqual({
      kind: 'success',
      balance: 5,
      gift: 1.5,
      credit: 0,
    });
    expect(parseBalanceResponse('{"status":"-01","reason":"x"}')).toEqual({
      kind: 'api_error',
      status: '-1',
      reason: 'x',
    });
  });

  test('a huge number that overflows to Infinity is invalid', () => {
    const result = parseBalanceResponse(`{"status":"0","balance":"${'9'.repeat(400)}","gift":"0","credit":"0"}`);
    expect(result.kind).toBe('invalid');
  });

  test('the vendor reason is cut to one bounded line', () => {
    const result = parseBalanceResponse(
      JSON.stringify({ status: '-18', reason: `line1\nline2\u0000${'x'.repeat(500)}` }),
    );
    expect(result.kind).toBe('api_error');
    if (result.kind !== 'api_error') return;
    expect(result.reason.includes('\n') || result.reason.includes('\u0000')).toBe(false);
    expect(result.reason.length).toBeLessThanOrEqual(201);
    expect(result.reason.startsWith('line1 line2 x')).toBe(true);
  });

  const reasonOf = (reason: string): string => {
    const result = parseBalanceResponse(JSON.stringify({ status: '-18', reason }));
    return result.kind === 'api_error' ? result.reason : `not an api_error: ${result.kind}`;
  };

  test.each([
    ['a C1 control (NEL)', 'line1\u0085line2', 'line1 line2'],
    ['a C1 control sequence introducer', 'red\u009b31mtext', 'red 31mtext'],
    ['a line separator', 'line1\u2028line2\u2029line3', 'line1 line2 line3'],
    ['a right-to-left override', 'invoice\u202Efdp.exe', 'invoice\\u202efdp.exe'],
    ['bidi isolates and marks', '\u2066a\u2069\u200e\u200f\u061c', '\\u2066a\\u2069\\u200e\\u200f\\u061c'],
    ['a lone surrogate', 'bad\ud800half', 'bad\ufffdhalf'],
    ['plain Unicode text', 'Солдо 余额不足 😀', 'Солдо 余额不足 😀'],
  ])('%s in the reason never reaches logs as it is (item 10)', (_what, reason, shown) => {
    expect(reasonOf(reason)).toBe(shown);
  });

  test('the reason is cut on a character, never inside one', () => {
    const reason = reasonOf('😀'.repeat(300));
    expect(reason).toBe(`${'😀'.repeat(200)}…`);
  });
});
