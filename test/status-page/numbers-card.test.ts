import { renderNumbers } from '../../src/status-page/cards';
import { numbersReport } from '../../src/status-page/numbers-report';
import type { AccountReport } from '../../src/status-page/report';
import { recordNumbers } from '../../src/numbers/numbers-state';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 11, 3, 12);
const dueIn = (days: number): number => (NOW + days * DAY) / 1000;

function slotDueIn(days: number) {
  return recordNumbers(undefined, {
    outcome: {
      kind: 'success',
      total: 2,
      skipped: [],
      requests: 1,
      numbers: [
        { number: '447700900001', country: 'UK', type: 'MOBILE', state: 'in_use', dueDate: 'd1', dueAt: dueIn(days) },
        { number: '447700900002', country: 'UK', type: 'MOBILE', state: 'expired', dueDate: 'd2', dueAt: dueIn(-3) },
      ],
    },
    finishedAt: NOW,
    finishedSteadyMs: 0,
  });
}

const card = (numbers: AccountReport['numbers']): string => renderNumbers({ numbers } as AccountReport);
const times = { nowMs: 1000, wallNowMs: NOW, maxAgeMs: 3_600_000 };

describe('the numbers line of an account card', () => {
  it('is red (due-soon) within 7 days of the next due date', () => {
    const report = numbersReport(slotDueIn(5), times);
    expect(report).toMatchObject({ up: true, dueSoon: true, nextDue: { number: '447700900001', dueDate: 'd1' } });
    expect(report.nextDue?.daysLeft).toBeCloseTo(5, 5);
    expect(card(report)).toMatch(
      /^<p class="numbers due-soon" data-field="numbers">.*1 in use · next due .*\(in 5 d: 447700900001\)/,
    );
  });

  it('is plain 7 or more days out, and for an account without numbers in use', () => {
    expect(card(numbersReport(slotDueIn(7.5), times))).toMatch(/^<p class="numbers" /);
    expect(numbersReport(slotDueIn(7.5), times).dueSoon).toBe(false);
  });

  it('says "not polled yet" before the first poll and nothing for an account without the collector', () => {
    expect(card(numbersReport(undefined, times))).toContain('Numbers:</strong> not polled yet');
    expect(card(null)).toBe('');
  });

  it('drops the list after --poll.max-age and says the poll fails', () => {
    const failed = recordNumbers(slotDueIn(5), {
      outcome: { kind: 'api_error', status: '-32', reason: '', page: 1, requests: 1 },
      finishedAt: NOW,
      finishedSteadyMs: 10,
    });
    const report = numbersReport(failed, { ...times, nowMs: 4_000_000 });
    expect(report).toMatchObject({ up: false, counts: null, nextDue: null, dueSoon: false });
    expect(report.lastError).toMatchObject({ code: '-32', meaning: 'API Key lacks permission' });
    expect(card(report)).toContain('numbers poll failing, no recent list');
    expect(card(report)).toContain('title="-32: API Key lacks permission"');
  });
});
