import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, readConfigFile } from '../../src/config/config';

// Each read here would block the event loop for good if the reader opened a FIFO the plain way;
// the short timeouts turn such a hang into a failure.

let dir: string;
let socketServer: Server;
const at = (name: string): string => join(dir, name);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'itnio-read-file-'));
  writeFileSync(at('secret'), 'file-secret\n');
  execFileSync('mkfifo', [at('fifo')]);
  symlinkSync(at('secret'), at('link-to-secret'));
  symlinkSync(at('fifo'), at('link-to-fifo'));
  mkdirSync(at('folder'));
  writeFileSync(at('huge'), Buffer.alloc(2 * 1024 * 1024, 'a'));
  socketServer = createServer();
  await new Promise<void>((resolve) => socketServer.listen(at('socket'), resolve));
});
afterAll(async () => {
  await new Promise((resolve) => socketServer.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

function refusal(path: string): { code?: string; message: string } {
  try {
    readConfigFile(path);
  } catch (error) {
    return { code: (error as NodeJS.ErrnoException).code, message: (error as Error).message };
  }
  throw new Error(`${path} was read`);
}

describe('readConfigFile (item 5)', () => {
  test('reads a regular file, also through a symbolic link', () => {
    expect(readConfigFile(at('secret'))).toBe('file-secret\n');
    expect(readConfigFile(at('link-to-secret'))).toBe('file-secret\n');
  });

  test.each([
    ['fifo', 'a FIFO (named pipe)'],
    ['link-to-fifo', 'a FIFO (named pipe)'],
    ['socket', 'a socket'],
    ['folder', 'a directory'],
  ])(
    'refuses %s at once: it is %s, not a regular file',
    (name, kind) => {
      expect(refusal(at(name))).toEqual({ code: 'ENOTREG', message: `${kind}, not a regular file` });
    },
    2000,
  );

  test('refuses a device', () => {
    expect(refusal('/dev/zero')).toEqual({ code: 'ENOTREG', message: 'a character device, not a regular file' });
  }, 2000);

  test('refuses a file larger than 1 MiB without reading it whole', () => {
    expect(refusal(at('huge'))).toEqual({ code: 'EFBIG', message: 'larger than 1 MiB' });
  });

  test('passes other errors on with their code', () => {
    expect(refusal(at('missing')).code).toBe('ENOENT');
  });
});

describe('a secret file that is not a regular file is refused, naming the variable (item 5)', () => {
  const problemsFor = (env: Record<string, string>): string[] => {
    try {
      loadConfig({ argv: [], env, readFile: readConfigFile });
    } catch (error) {
      if (error instanceof ConfigError) return error.problems;
      throw error;
    }
    throw new Error('expected a ConfigError');
  };

  test('a FIFO', () => {
    expect(problemsFor({ ITNIO_API_KEY: 'bDqJFiq9', ITNIO_API_SECRET_FILE: at('fifo') })).toEqual([
      `ITNIO_API_SECRET_FILE: cannot read secret file "${at('fifo')}": a FIFO (named pipe), not a regular file; ` +
        'expected a path to a file holding the API secret (the secret itself goes in ITNIO_API_SECRET)',
    ]);
  }, 2000);

  test('a 2 MiB file', () => {
    expect(problemsFor({ ITNIO_API_KEY: 'bDqJFiq9', ITNIO_API_SECRET_FILE: at('huge') })).toEqual([
      `ITNIO_API_SECRET_FILE: cannot read secret file "${at('huge')}": larger than 1 MiB; ` +
        'expected a path to a file holding the API secret (the secret itself goes in ITNIO_API_SECRET)',
    ]);
  });

  test('a secret longer than 1 024 characters, from a file or a variable', () => {
    writeFileSync(at('long'), 'x'.repeat(1025));
    expect(problemsFor({ ITNIO_API_KEY: 'bDqJFiq9', ITNIO_API_SECRET_FILE: at('long') })).toEqual([
      expect.stringContaining(`ITNIO_API_SECRET_FILE: secret file "${at('long')}" is longer than 1024 characters`),
    ]);
    expect(problemsFor({ ITNIO_API_KEY: 'bDqJFiq9', ITNIO_API_SECRET: 'x'.repeat(1025) })).toEqual([
      expect.stringContaining('ITNIO_API_SECRET: the API secret is longer than 1024 characters'),
    ]);
  });
});
