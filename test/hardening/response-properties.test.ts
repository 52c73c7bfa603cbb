import fc from 'fast-check';
import { parseBalanceResponse, type ParsedBalanceResponse } from '../../src/itnio/response';

const RUNS = { numRuns: 500 };
const VALUE_FIELDS = ['balance', 'gift', 'credit'] as const;

/** Total and finite: the two promises of the parser, checked on every generated body. */
function parseChecked(body: string): ParsedBalanceResponse {
  let result: ParsedBalanceResponse;
  try {
    result = parseBalanceResponse(body);
  } catch (error) {
    throw new Error(`parseBalanceResponse threw on ${JSON.stringify(body.slice(0, 200))}: ${String(error)}`);
  }
  expect(['success', 'api_error', 'invalid']).toContain(result.kind);
  if (result.kind === 'success') for (const field of VALUE_FIELDS) expect(Number.isFinite(result[field])).toBe(true);
  if (result.kind === 'api_error') expect(result.status).not.toBe('0');
  return result;
}

// Strings a vendor might put where a decimal belongs, valid or not.
const decimalLike = fc.oneof(
  fc.double().map(String),
  fc.double().map((n) => n.toFixed(6).replace(/^-?Infinity.*/, 'Infinity')),
  fc.integer().map(String),
  fc.bigInt({ min: -(10n ** 400n), max: 10n ** 400n }).map(String),
  fc.tuple(fc.integer({ min: -9, max: 9 }), fc.integer({ min: -400, max: 400 })).map(([m, e]) => `${m}e${e}`),
  fc.constantFrom(
    '',
    ' ',
    'N/A',
    'NaN',
    'Infinity',
    '-Infinity',
    '1e309',
    '-1e309',
    '.5',
    '5.',
    '+3',
    '0x10',
    '1_000',
    '1,5',
    ' 7.25 ',
    '١٢٣',
    '−1',
  ),
  fc.string(),
);
const anyValue = fc.oneof(
  decimalLike,
  fc.double(),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 2 }),
  fc.dictionary(fc.string(), fc.string(), { maxKeys: 2 }),
);
const statusLike = fc.oneof(
  fc.constantFrom('0', '-0', '+0', '00', '-1', '-2', '-13', '-15', '-16', '-18', ' 0 ', '0.0', '1e0', ''),
  fc.integer({ min: -2_000_000, max: 2_000_000 }).map(String),
  fc.constantFrom(0, -1, -16, 0.5, NaN),
  fc.string(),
);
const dangerousKey = fc.constantFrom('__proto__', 'constructor', 'toString', 'valueOf', 'hasOwnProperty');

const validDecimal = fc
  .double({ min: -1e12, max: 1e12, noNaN: true })
  .chain((n) => fc.constantFrom(n.toFixed(6), String(n), n));
const statusZero = fc.constantFrom('0', 0, ' 0 ', '+0', '-0', '00');
const valueField = fc.oneof(
  { arbitrary: validDecimal, weight: 4 },
  { arbitrary: decimalLike, weight: 2 },
  { arbitrary: anyValue, weight: 1 },
);

/** A JSON object close to a real answer: the known fields with values of random types, some missing, some extra. */
const nearValidBody = fc
  .record({
    status: fc.oneof(
      { arbitrary: statusZero, weight: 4 },
      { arbitrary: statusLike, weight: 2 },
      { arbitrary: anyValue, weight: 1 },
    ),
    reason: fc.oneof(fc.string(), anyValue),
    balance: valueField,
    gift: valueField,
    credit: valueField,
  })
  .chain((fields) =>
    fc.tuple(
      fc.constant(fields),
      fc.oneof(
        { arbitrary: fc.constant<string[]>([]), weight: 3 },
        { arbitrary: fc.subarray(Object.keys(fields), { maxLength: 2 }), weight: 1 },
      ),
      fc.dictionary(fc.oneof(dangerousKey, fc.string()), anyValue, { maxKeys: 3 }),
    ),
  )
  .map(([fields, dropped, extra]) => {
    const kept = Object.entries(fields).filter(([k]) => !dropped.includes(k));
    // Built as text so "__proto__" stays an ordinary key, as it would in a vendor's answer.
    const entries = [...kept, ...Object.entries(extra)].map(
      ([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v) ?? 'null'}`,
    );
    return `{${entries.join(',')}}`;
  });

describe('parseBalanceResponse properties', () => {
  test('never throws on any string, and a success is always three finite numbers', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }), fc.string()),
        (body) => void parseChecked(body),
      ),
      RUNS,
    );
  });

  test('never throws on any JSON document', () => {
    fc.assert(
      fc.property(fc.json(), (body) => void parseChecked(body)),
      RUNS,
    );
  });

  test('never throws on near-valid answers with fields of random types', () => {
    fc.assert(
      fc.property(nearValidBody, (body) => void parseChecked(body)),
      { numRuns: 2000 },
    );
  });

  test('a success needs every value field, and each value comes from its own field', () => {
    const kinds = new Map<string, number>();
    fc.assert(
      fc.property(nearValidBody, (body) => {
        const result = parseChecked(body);
        kinds.set(result.kind, (kinds.get(result.kind) ?? 0) + 1);
        if (result.kind !== 'success') return;
        const json = JSON.parse(body) as Record<string, unknown>;
        for (const field of VALUE_FIELDS) {
          expect(Object.prototype.hasOwnProperty.call(json, field)).toBe(true);
          const raw = json[field];
          expect(result[field]).toBe(typeof raw === 'number' ? raw : Number(String(raw).trim()));
        }
      }),
      { numRuns: 2000 },
    );
    // The generator must reach every branch, or the properties above say little.
    for (const kind of ['success', 'api_error', 'invalid']) expect(kinds.get(kind) ?? 0).toBeGreaterThan(20);
  });

  test('no strict prefix of a valid success body is a success (a truncated answer is never a balance)', () => {
    const valid = fc
      .tuple(
        fc.double({ min: -1e9, max: 1e9, noNaN: true }),
        fc.double({ min: 0, max: 1e9, noNaN: true }),
        fc.integer({ min: 0, max: 1e6 }),
      )
      .map(([balance, gift, credit]) =>
        JSON.stringify({
          status: '0',
          reason: 'success',
          balance: balance.toFixed(6),
          gift: gift.toFixed(5),
          credit: String(credit),
        }),
      );
    fc.assert(
      fc.property(valid, fc.nat(), (body, cut) => {
        expect(parseChecked(body).kind).toBe('success');
        expect(parseChecked(body.slice(0, cut % body.length)).kind).toBe('invalid');
      }),
      RUNS,
    );
  });

  test('deeply nested and very long bodies are invalid, not a crash', () => {
    for (const body of [
      '['.repeat(100_000),
      `${'['.repeat(50_000)}${']'.repeat(50_000)}`,
      `{"a":${'{"a":'.repeat(20_000)}1${'}'.repeat(20_001)}`,
      `"${'x'.repeat(1_000_000)}"`,
    ]) {
      expect(parseChecked(body).kind).toBe('invalid');
    }
  });
});
