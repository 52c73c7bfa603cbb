import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dueMoment, parseNumbersResponse } from '../../src/itnio/numbers-response';

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(join(__dirname, '../fixtures/numbers', name), 'utf8')) as unknown;
const UTC8 = { dueDateUtcOffsetMinutes: 480 };
const seconds = (iso: string): number => Date.parse(iso) / 1000;

describe('parseNumbersResponse', () => {
  it("reads ITNIO's documented sample: due at 00:00 UTC+8 of the due date", () => {
    expect(parseNumbersResponse(fixture('documented-sample.json'), UTC8)).toEqual({
      kind: 'page',
      total: 5,
      pages: 1,
      current: 1,
      skipped: [],
      numbers: [
        {
          number: '915027021995',
          country: 'India',
          type: 'FIXED',
          state: 'in_use',
          dueDate: '2024-04-11',
          dueAt: seconds('2024-04-10T16:00:00Z'),
        },
      ],
    });
  });

  it('maps states 3/4/5 and every other value (7, null) to other; null text fields become empty', () => {
    const page = parseNumbersResponse(fixture('mixed-states.json'), UTC8);
    expect(page.kind).toBe('page');
    if (page.kind !== 'page') return;
    expect(page.numbers.map((n) => n.state)).toEqual(['in_use', 'expired', 'disabled', 'other', 'other', 'in_use']);
    expect(page.numbers[2]).toEqual({ number: '447700900003', country: '', type: '', state: 'disabled' });
    // In use without a due date: counted, never given a made-up one.
    expect(page.numbers[5]).toEqual({
      number: '447700900006',
      country: 'United Kingdom',
      type: 'FIXED',
      state: 'in_use',
    });
  });

  it('accepts status as a JSON number and paging fields and state as digit strings', () => {
    const page = parseNumbersResponse(fixture('status-and-paging-as-numbers-and-strings.json'), UTC8);
    expect(page).toMatchObject({ kind: 'page', total: 1, pages: 1, current: 1 });
    expect(page.kind === 'page' && page.numbers[0]?.state).toBe('in_use');
  });

  it('reads an empty listing whose records are null', () => {
    expect(parseNumbersResponse(fixture('empty-listing.json'), UTC8)).toEqual({
      kind: 'page',
      total: 0,
      pages: 0,
      current: 1,
      numbers: [],
      skipped: [],
    });
  });

  it.each([
    ['status-24.json', { kind: 'api_error', status: '-24', reason: 'data not present' }],
    ['status-32.json', { kind: 'api_error', status: '-32', reason: 'API Key lacks permission' }],
  ])('%s is an API error', (file, expected) => {
    expect(parseNumbersResponse(fixture(file), UTC8)).toEqual(expected);
  });

  it.each([
    ['array.json', 'body is not a JSON object'],
    ['missing-status.json', 'field "status" is missing or not an integer'],
    ['status-not-integer.json', 'field "status" is missing or not an integer'],
    ['missing-data.json', 'field "data" is missing or not an object'],
    ['missing-pages.json', 'field "data.pages" is missing or not a whole number'],
    ['total-not-a-number.json', 'field "data.total" is missing or not a whole number'],
    ['total-negative.json', 'field "data.total" is missing or not a whole number'],
    ['total-fraction.json', 'field "data.total" is missing or not a whole number'],
    ['records-not-a-list.json', 'field "data.records" is missing or not a list'],
    ['records-missing.json', 'field "data.records" is missing or not a list'],
  ])('%s is invalid (%s), never an empty listing', (file, problem) => {
    expect(parseNumbersResponse(fixture(file), UTC8)).toEqual({ kind: 'invalid', problem });
  });

  it('skips records without a usable number, says why, and keeps a real date only', () => {
    const page = parseNumbersResponse(fixture('bad-records.json'), UTC8);
    expect(page).toMatchObject({
      kind: 'page',
      skipped: [
        'records[0].number is missing or not digits',
        'records[1].number is missing or not digits',
        'records[2] is not an object',
      ],
    });
    // 2026-02-30 is not a date: in use, but no due moment.
    expect(page.kind === 'page' && page.numbers).toEqual([
      { number: '447700900009', country: 'UK', type: 'MOBILE', state: 'in_use' },
    ]);
  });

  it('gives no due moment to a due date in any other shape', () => {
    const page = parseNumbersResponse(fixture('due-date-shapes.json'), UTC8);
    expect(page.kind === 'page' && page.numbers.map((n) => n.dueAt)).toEqual([undefined, undefined, undefined]);
  });

  it('bounds vendor text used as a label value to one short line', () => {
    const json = {
      status: '0',
      data: {
        total: 1,
        pages: 1,
        current: 1,
        records: [{ number: '123456', state: 3, country: `A\nB${'x'.repeat(300)}` }],
      },
    };
    const page = parseNumbersResponse(json, UTC8);
    const country = page.kind === 'page' ? (page.numbers[0]?.country ?? '') : '';
    expect(country).not.toContain('\n');
    expect(country.length).toBeLessThanOrEqual(64);
  });
});

describe('dueMoment', () => {
  it.each([
    ['2026-12-10', 480, '2026-12-09T16:00:00Z'],
    ['2026-12-10', 0, '2026-12-10T00:00:00Z'],
    ['2026-12-10', -300, '2026-12-10T05:00:00Z'],
    ['2024-02-29', 480, '2024-02-28T16:00:00Z'],
    [' 2026-01-01 ', 330, '2025-12-31T18:30:00Z'],
  ])('%s at offset %d minutes is %s', (date, offset, iso) => {
    expect(dueMoment(date, offset)).toBe(seconds(iso));
  });

  it.each([['2023-02-29'], ['2026-13-01'], ['2026-00-10'], ['26-12-10'], [''], [null], [20261210]])(
    '%p is not a due date',
    (value) => {
      expect(dueMoment(value, 480)).toBeUndefined();
    },
  );
});
