import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The repository root: the nearest folder above this file holding tsconfig.bench.json (from bench/ and from its build). */
function repositoryRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'tsconfig.bench.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the repository root');
    dir = up;
  }
  return dir;
}

export interface ExporterChild {
  child: ChildProcess;
  url: string;
  stop(): Promise<number | null>;
}

/** Starts the built exporter (dist/main.js) on 127.0.0.1 with a free port; its logs are discarded. */
export async function spawnExporter(args: string[], env: Record<string, string>): Promise<ExporterChild> {
  const main = join(repositoryRoot(), 'dist', 'main.js');
  if (!existsSync(main)) throw new Error(`${main} is missing: run "npm run build" first`);
  const child = spawn(process.execPath, [main, '--web.listen-address=127.0.0.1:0', ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const url = await new Promise<string>((resolve, reject) => {
    let buffered = '';
    let started = false;
    const timer = setTimeout(() => reject(new Error(`exporter did not start: ${stderr}`)), 10_000);
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      // Only the start-up line is read; later lines are drained and dropped.
      if (started) return;
      buffered += chunk;
      const match = /"url":"(http:\/\/[^"]+)"/.exec(buffered);
      if (match) {
        clearTimeout(timer);
        started = true;
        resolve(match[1] as string);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`exporter exited with ${code}: ${stderr}`));
    });
  });
  return {
    child,
    url,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(killer);
      return code;
    },
  };
}
