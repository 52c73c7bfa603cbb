import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT = join(__dirname, '..', '..');
export const MAIN = join(ROOT, 'dist', 'main.js');

export function assertBuilt(): void {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run "npm run build" first (npm test does)`);
}

export interface ExporterProcess {
  child: ChildProcess;
  /** http://127.0.0.1:PORT, read from the start-up log line. */
  url: string;
  stdout: string[];
  stderr: string[];
  /** Parsed JSON log lines so far. */
  logs(): Array<Record<string, unknown>>;
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; ms: number }>;
}

/** Runs the built exporter with its own flags and environment (nothing inherited but PATH). */
export async function startExporterProcess(args: string[], env: Record<string, string> = {}): Promise<ExporterProcess> {
  assertBuilt();
  const child = spawn(process.execPath, [MAIN, '--web.listen-address=127.0.0.1:0', ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  let buffered = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`exporter did not start: ${stderr.join('')}${stdout.join('\n')}`)),
      10_000,
    );
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        stdout.push(line);
        const match = /"url":"(http:\/\/[^"]+)"/.exec(line);
        if (match) {
          clearTimeout(timer);
          resolve(match[1] as string);
        }
      }
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => stderr.push(chunk));
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`exporter exited with ${code}: ${stderr.join('')}`));
    });
  });
  return {
    child,
    url,
    stdout,
    stderr,
    logs: () =>
      stdout.flatMap((line) => {
        try {
          return [JSON.parse(line) as Record<string, unknown>];
        } catch {
          return [];
        }
      }),
    async stop(signal = 'SIGTERM') {
      const started = Date.now();
      if (child.exitCode === null) child.kill(signal);
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(killer);
      return { code, ms: Date.now() - started };
    },
  };
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined> | T | undefined,
  what: string,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
