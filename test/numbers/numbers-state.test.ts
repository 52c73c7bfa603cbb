import type { NumbersOutcome } from '../../src/itnio/numbers-client';
import type { RentedNumber } from '../../src/itnio/numbers-response';
import {
  apiErrorSamples,
  dueSamples,
  failureSamples,
  lastSuccessSamples,
  MAX_NUMBER_SERIES,
  NUMBERS_POLL,
  requestSamples,
  stateSamples,
  upSamples,
  type NumbersAccountView,
} from '../../src/numbers/numbers-samples';
import { recordNumbers, type NumbersSlot } from '../../src/numbers/numbers-state';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 11, 3, 12);
const options = { enabled: true, maxAgeMs: HOUR };

const number = (n: string, state: RentedNumber['state'], dueAt?: number): RentedNumber => ({
  number: n,
  country: 'India',
  type: 'FIXED',
  state,
  ...(dueAt !== undefined ? { dueDate: 'x', dueAt } : {}),
});

function after(slot: NumbersSlot | undefined, outcome: NumbersOutcome, atSteady: number): NumbersSlot {
  return recordNumbers(slot, { outcome, finishedAt: T0 + atSteady, finishedSteadyMs: atSteady });
}

const view = (slot: NumbersSlot | undefined, account: { numbers?: boolean } = {}): NumbersAccountView => ({
  account: { name: 'pay', ...account },
  slots: new Map(slot ? [[NUMBERS_POLL, slot]] : []),
});

const success = (numbers: RentedNumber[]): NumbersOutcome => ({
  kind: 'success',
  numbers,
  total: numbers.length,
  skipped: [],
  requests: 1,
});

describe('the numbers slot and its series', () => {
  const listed = [
    number('3', 'in_use', 3000),
    number('1', 'in_use', 1000),
    number('2', 'expired', 500),
    number('4', 'in_use'),
    number('5', 'other', 100),
  ];

  it('exports a due series for each number in use with a due date, and all four state counts', () => {
    const slot = after(undefined, success(listed), 0);
    expect(dueSamples([view(slot)], 10, options)).toEqual([
      [{ account: 'pay', number: '1', country: 'India', type: 'FIXED' }, 1000],
      [{ account: 'pay', number: '3', country: 'India', type: 'FIXED' }, 3000],
    ]);
    expect(stateSamples([view(slot)], 10, options)).toEqual([
      [{ account: 'pay', state: 'in_use' }, 3],
      [{ account: 'pay', state: 'expired' }, 1],
      [{ account: 'pay', state: 'disabled' }, 0],
      [{ account: 'pay', state: 'other' }, 1],
    ]);
    expect(upSamples([view(slot)], options)).toEqual([[{ account: 'pay' }, 1]]);
    expect(lastSuccessSamples([view(slot)], options)).toEqual([[{ account: 'pay' }, T0 / 1000]]);
  });

  it('keeps the last good numbers through failures until --poll.max-age, counting each failure', () => {
    let slot = after(undefined, success(listed), 0);
    slot = after(slot, { kind: 'api_error', status: '-32', reason: 'no', page: 1, requests: 1 }, HOUR / 2);
    slot = after(slot, { kind: 'failure', reason: 'timeout', detail: 'page 2: slow', requests: 2 }, HOUR);
    expect(upSamples([view(slot)], options)).toEqual([[{ account: 'pay' }, 0]]);
    expect(dueSamples([view(slot)], HOUR, options)).toHaveLength(2);
    expect(dueSamples([view(slot)], HOUR + 1, options)).toEqual([]);
    expect(stateSamples([view(slot)], HOUR + 1, options)).toEqual([]);
    expect(lastSuccessSamples([view(slot)], options)).toEqual([[{ account: 'pay' }, T0 / 1000]]);
    expect(apiErrorSamples([view(slot)], options)).toContainEqual([{ account: 'pay', status: '-32' }, 1]);
    expect(apiErrorSamples([view(slot)], options)).toContainEqual([{ account: 'pay', status: '-24' }, 0]);
    expect(failureSamples([view(slot)], options)).toContainEqual([{ account: 'pay', reason: 'timeout' }, 1]);
    expect(requestSamples([view(slot)], options)).toEqual([[{ account: 'pay' }, 4]]);
    expect(slot.lastError).toMatchObject({
      code: 'timeout',
      meaning: 'no answer within the timeout',
      detail: 'page 2: slow',
    });
  });

  it('presents the counters at 0 and no up series before the first poll', () => {
    expect(upSamples([view(undefined)], options)).toEqual([]);
    expect(apiErrorSamples([view(undefined)], options).every(([, v]) => v === 0)).toBe(true);
    expect(apiErrorSamples([view(undefined)], options).map(([l]) => l.status)).toEqual(
      expect.arrayContaining(['-1', '-15', '-20', '-22', '-24', '-32']),
    );
    expect(failureSamples([view(undefined)], options)).toHaveLength(5);
  });

  it('exports nothing for an account that opts out, or with the collector off', () => {
    const slot = after(undefined, success(listed), 0);
    expect(upSamples([view(slot, { numbers: false })], options)).toEqual([]);
    expect(requestSamples([view(slot)], { ...options, enabled: false })).toEqual([]);
  });

  it(`caps due series at ${MAX_NUMBER_SERIES} per account, soonest due first, but counts every number`, () => {
    const many = Array.from({ length: 1500 }, (_, i) => number(String(100000 + i), 'in_use', 10_000 - i));
    const slot = after(undefined, success(many), 0);
    const due = dueSamples([view(slot)], 0, options);
    expect(due).toHaveLength(MAX_NUMBER_SERIES);
    expect(due[0]?.[1]).toBe(10_000 - 1499);
    expect(stateSamples([view(slot)], 0, options)).toContainEqual([{ account: 'pay', state: 'in_use' }, 1500]);
  });

  it('an aborted poll changes nothing but the requests sent', () => {
    const slot = after(undefined, success(listed), 0);
    const aborted = after(slot, { kind: 'aborted', requests: 1 }, 10);
    expect(aborted).toEqual({ ...slot, requests: 2 });
  });
});
