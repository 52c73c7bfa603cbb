import type { LastError } from '../src/account-status';
import { describeError } from '../src/status-report';

const AT = Date.UTC(2025, 0, 1, 12);

describe('describeError', () => {
  // The kind comes from how the poll failed, not from what the code looks like.
  const cases: Array<{ name: string; error: LastError; kind: 'api_status' | 'request_failure' }> = [
    { name: 'an API status', error: { kind: 'api_error', code: '-1', meaning: 'authentication error', detail: 'authentication error', atMs: AT }, kind: 'api_status' },
    { name: 'a request failure', error: { kind: 'failure', code: 'timeout', meaning: 'no answer within the timeout', detail: 'after 10s', atMs: AT }, kind: 'request_failure' },
    { name: 'a failure reason that looks like a number', error: { kind: 'failure', code: '504', meaning: 'unexpected HTTP status', detail: 'gateway timeout', atMs: AT }, kind: 'request_failure' },
    { name: 'an API status that is not a number', error: { kind: 'api_error', code: 'E1', meaning: 'undocumented status', detail: '', atMs: AT }, kind: 'api_status' },
  ];
  test.each(cases)('$name is $kind', ({ error, kind }) => {
    const report = describeError(error);
    expect(report.kind).toBe(kind);
    expect(report.code).toBe(error.code);
    expect(report.at).toBe('2025-01-01T12:00:00.000Z');
    expect(report.hint.length).toBeGreaterThan(0);
  });
});
