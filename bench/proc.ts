import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** Resident set size of a process in bytes, from /proc/PID/status (VmRSS). */
export function readRssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+) kB/m.exec(status);
  if (!match) throw new Error(`/proc/${pid}/status has no VmRSS line`);
  return Number(match[1]) * 1024;
}

let clockTicks: number | undefined;

/** User plus system CPU time a process has used, in seconds, from /proc/PID/stat. */
export function readCpuSeconds(pid: number): number {
  clockTicks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name in parentheses may hold spaces: count fields after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return (utime + stime) / clockTicks;
}

/** Samples a process' RSS until stopped and keeps the largest value seen. */
export function sampleMaxRss(pid: number, everyMs = 100): { stop(): number } {
  let max = readRssBytes(pid);
  const timer = setInterval(() => {
    try {
      max = Math.max(max, readRssBytes(pid));
    } catch {
      // The process ended; the figure so far stands.
    }
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      try {
        max = Math.max(max, readRssBytes(pid));
      } catch {
        // as above
      }
      return max;
    },
  };
}

/** A TCP port on 127.0.0.1 that was free a moment ago, for programs that need a fixed port. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Absolute path of a program on PATH, or undefined. */
export function findProgram(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (!dir) continue;
    try {
      accessSync(`${dir}/${name}`, constants.X_OK);
      return `${dir}/${name}`;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

export function firstLine(command: string, args: string[]): string {
  try {
    // Some programs print their version on stderr (the Pushgateway does).
    const result = spawnSync(command, args, { encoding: 'utf8' });
    const out = result.stdout.trim() === '' ? result.stderr : result.stdout;
    return out.split('\n')[0]?.trim() ?? '';
  } catch (error) {
    // wrk -v exits 1 after printing its version
    const out = `${(error as { stdout?: string }).stdout ?? ''}${(error as { stderr?: string }).stderr ?? ''}`;
    return out.split('\n')[0]?.trim() ?? '';
  }
}
