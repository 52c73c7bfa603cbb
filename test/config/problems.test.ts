import { ConfigError, Problems } from '../../src/config/problems';

const unreadable = (code?: string) => (): string => {
  throw Object.assign(new Error('cannot'), code === undefined ? {} : { code });
};

describe('Problems', () => {
  test('words a refused value and an unreadable file, in the order found', () => {
    const problems = new Problems();
    problems.invalid('--poll.concurrency', '0', 'a whole number from 1 to 64');
    const text = problems.readFile(unreadable('ENOENT'), '/etc/ca.pem', 'ITNIO_API_CA_FILE', 'a path to a PEM file');
    expect(text).toBeUndefined();
    problems.readFile(unreadable(), '/run/s', 'ITNIO_API_SECRET_FILE', 'the secret', 'secret file "/run/s"');
    expect(problems.list).toEqual([
      '--poll.concurrency: "0" is not valid; expected a whole number from 1 to 64',
      'ITNIO_API_CA_FILE: cannot read "/etc/ca.pem" (ENOENT); expected a path to a PEM file',
      'ITNIO_API_SECRET_FILE: cannot read secret file "/run/s" (error); expected the secret',
    ]);
  });

  test('returns what a readable file holds', () => {
    expect(new Problems().readFile(() => 'pem', '/ca.pem', '--api.ca-file', 'a PEM file')).toBe('pem');
  });

  test('throws one ConfigError with every problem, and nothing when there is none', () => {
    const problems = new Problems();
    expect(() => problems.throwIfAny()).not.toThrow();
    problems.add('first');
    problems.add('second');
    let error: unknown;
    try {
      problems.throwIfAny();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual(['first', 'second']);
    expect((error as ConfigError).message).toBe('invalid configuration:\n  - first\n  - second');
  });
});
