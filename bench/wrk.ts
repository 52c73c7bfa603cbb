import { execFile } from 'node:child_process';

/** What one wrk run reports, as parsed from its `--latency` output. */
export interface WrkResult {
  requestsPerSecond: number;
  requests: number;
  durationSeconds: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  /** Responses with a status outside 2xx/3xx, plus connect/read/write errors and timeouts. */
  errors: number;
}

/** The headers Prometheus 2.x/3.x sends on every scrape. */
export const PROMETHEUS_SCRAPE_HEADERS: Readonly<Record<string, string>> = {
  Accept:
    'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1',
  'Accept-Encoding': 'gzip',
};

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

function parseDurationMs(text: string): number {
  const match = /^([\d.]+)(us|ms|s|m|h)$/.exec(text);
  if (!match) throw new Error(`wrk output: cannot read duration "${text}"`);
  return Number(match[1]) * (UNIT_MS[match[2] as string] as number);
}

/** Parses the text `wrk --latency` prints; throws naming the missing part if it is not there. */
export function parseWrkOutput(text: string): WrkResult {
  const need = (re: RegExp, what: string): RegExpExecArray => {
    const match = re.exec(text);
    if (!match) throw new Error(`wrk output has no ${what}:\n${text}`);
    return match;
  };
  const rps = need(/^Requests\/sec:\s+([\d.]+)/m, 'Requests/sec line');
  const total = need(/^\s*(\d+) requests in ([\d.]+\w+),/m, 'request total');
  const p50 = need(/^\s+50(?:\.0+)?%\s+(\S+)/m, '50% latency (was --latency given?)');
  const p99 = need(/^\s+99(?:\.0+)?%\s+(\S+)/m, '99% latency');
  let errors = 0;
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  if (socket) errors += socket.slice(1).reduce((sum, n) => sum + Number(n), 0);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(text);
  if (non2xx) errors += Number(non2xx[1]);
  return {
    requestsPerSecond: Number(rps[1]),
    requests: Number(total[1]),
    durationSeconds: parseDurationMs(total[2] as string) / 1000,
    latencyP50Ms: parseDurationMs(p50[1] as string),
    latencyP99Ms: parseDurationMs(p99[1] as string),
    errors,
  };
}

export interface WrkOptions {
  url: string;
  durationSeconds: number;
  threads: number;
  connections: number;
  headers: Readonly<Record<string, string>>;
  /** Path of the wrk binary; default "wrk" on PATH. */
  binary?: string;
}

export function runWrk(options: WrkOptions): Promise<WrkResult> {
  const args = [
    `-t${options.threads}`,
    `-c${options.connections}`,
    `-d${options.durationSeconds}s`,
    '--timeout',
    '10s',
    '--latency',
    ...Object.entries(options.headers).flatMap(([name, value]) => ['-H', `${name}: ${value}`]),
    options.url,
  ];
  return new Promise((resolve, reject) => {
    execFile(
      options.binary ?? 'wrk',
      args,
      { timeout: (options.durationSeconds + 30) * 1000 },
      (error, stdout, stderr) => {
        if (error)
          return reject(new Error(`wrk against ${options.url} failed: ${stderr || error.message}`, { cause: error }));
        try {
          resolve(parseWrkOutput(stdout));
        } catch (parseError) {
          reject(parseError);
        }
      },
    );
  });
}
