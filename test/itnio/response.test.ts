import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseBalanceResponse } from '../../src/itnio/response';

const fixture = (name: string): string => readFileSync(join(__dirname, '../fixtures/responses', name), 'utf8');

describe('parseBalanceResponse', () => {
  test.each([
    ['success.json', { kind: 'success', balance: 99.99, gift: 50, credit: 0 }],
    ['success-negative.json', { kind: 'success', balance: -12.5, gift: 0, credit: 100 }],
    ['status-16.json', { kind: 'api_error', status: '-16', reason: 'timestamp expires' }],
    ['status-1.json', { kind: 'api_error', status: '-1', reason: 'authentication error' }],
    ['status-unknown.json', { kind: 'api_error', status: '-99', reason: 'something new' }],
  ])('%s parses to %j', (file, expected) => {
    expect(parseBalanceResponse(fixture(file))).toEqual(expected);
  });

  test.each([
    ['balance-na.json', 'field "balance" is not a decimal number'],
    ['balance-exponent.json', 'field "balance" is not a decimal number'],
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

  test.each([
    ['an exponent in a string', '{"status":"0","balance":"1e3","gift":"0","credit":"0"}', 'balance'],
    ['an exponent that underflows to 0', '{"status":"0","balance":"1e-400","gift":"0","credit":"0"}', 'balance'],
    ['an exponent in a JSON number', '{"status":"0","balance":5,"gift":1E3,"credit":0}', 'gift'],
    [
      'a long decimal that underflows to 0',
      `{"status":"0","balance":"0.${'0'.repeat(400)}1","gift":"0","credit":"0"}`,
      'balance',
    ],
    [
      'a long JSON number that underflows to 0',
      `{"status":"0","balance":1,"gift":0,"credit":0.${'0'.repeat(400)}1}`,
      'credit',
    ],
    ['a JSON number that overflows', `{"status":"0","balance":${'9'.repeat(400)},"gift":0,"credit":0}`, 'balance'],
  ])('%s is an invalid response, never a fake number', (_, body, field) => {
    expect(parseBalanceResponse(body)).toEqual({
      kind: 'invalid',
      problem: `field "${field}" is not a decimal number`,
    });
  });

  test('a zero written as zero is zero', () => {
    expect(parseBalanceResponse('{"status":"0","balance":"0.000000","gift":0,"credit":"-0"}')).toMatchObject({
      kind: 'success',
      balance: 0,
      gift: 0,
    });
  });

  test.each([
    ['"-1" then "0"', '{"status":"-1","reason":"auth","status":"0","balance":"1","gift":"0","credit":"0"}', 'status'],
    ['"0" then "-1"', '{"status":"0","status":"-1","reason":"auth"}', 'status'],
    ['two balances', '{"status":"0","balance":"1","gift":"0","credit":"0","balance":"900"}', 'balance'],
    [
      'a status spelled with an escape',
      '{"status":"-1","st\\u0061tus":"0","balance":"1","gift":"0","credit":"0"}',
      'status',
    ],
  ])('a field given twice (%s) is ambiguous: invalid, not a success', (_, body, field) => {
    expect(parseBalanceResponse(body)).toEqual({
      kind: 'invalid',
      problem: `field "${field}" appears twice (ambiguous)`,
    });
  });

  test('the same key in a nested object, or inside a string, is not a duplicate', () => {
    const body =
      '{"status":"0","reason":"\\"status\\":1","extra":{"status":"-1"},"balance":"1","gift":"0","credit":"0"}';
    expect(parseBalanceResponse(body)).toEqual({ kind: 'success', balance: 1, gift: 0, credit: 0 });
  });

  test('a JSON-number status must be an integer as written', () => {
    expect(parseBalanceResponse('{"status":0.0,"balance":"1","gift":"0","credit":"0"}').kind).toBe('invalid');
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
