/**
 * The poller's queue, one line per API host (scheme, host and port of the base URL), served in
 * turn. While several hosts have polls queued or in flight, each may hold at most its share of
 * the concurrency limit (`ceil(concurrency / hosts)`): accounts whose host hangs fill only their
 * own share until their timeouts, and accounts on other hosts keep their pace. With one host
 * (the usual case) nothing changes: it may use every slot, in the order queued.
 */
export class HostQueues<J> {
  /** Insertion-ordered; a host's line goes when it empties and nothing of it runs. */
  private readonly lines = new Map<string, J[]>();
  private readonly running = new Map<string, number>();
  private queued = 0;
  /** The host served last, so the next pick starts after it. */
  private lastHost: string | undefined;

  get size(): number {
    return this.queued;
  }

  push(host: string, job: J): void {
    const line = this.lines.get(host);
    if (line) line.push(job);
    else this.lines.set(host, [job]);
    this.queued++;
  }

  /** The next job that may start with `concurrency` slots in all, marked running; undefined if none may. */
  start(concurrency: number): { host: string; job: J } | undefined {
    const hosts = new Set([...this.lines.keys(), ...this.running.keys()]);
    const share = Math.ceil(concurrency / Math.max(1, hosts.size));
    const order = [...this.lines.keys()];
    const from = this.lastHost === undefined ? 0 : order.indexOf(this.lastHost) + 1;
    for (let i = 0; i < order.length; i++) {
      const host = order[(from + i) % order.length] as string;
      const line = this.lines.get(host) as J[];
      if (line.length === 0 || (this.running.get(host) ?? 0) >= share) continue;
      const job = line.shift() as J;
      this.queued--;
      if (line.length === 0) this.lines.delete(host);
      this.running.set(host, (this.running.get(host) ?? 0) + 1);
      this.lastHost = host;
      return { host, job };
    }
    return undefined;
  }

  /** A job of `host` started by `start` has ended. */
  ended(host: string): void {
    const left = (this.running.get(host) ?? 1) - 1;
    if (left > 0) this.running.set(host, left);
    else this.running.delete(host);
  }

  /** Removes and returns the queued jobs `keep` refuses (every one without `keep`). */
  remove(keep: (job: J) => boolean = () => false): J[] {
    const removed: J[] = [];
    for (const [host, line] of this.lines) {
      const kept: J[] = [];
      for (const job of line) (keep(job) ? kept : removed).push(job);
      if (kept.length > 0) this.lines.set(host, kept);
      else this.lines.delete(host);
    }
    this.queued -= removed.length;
    return removed;
  }
}

/** The host a poll of `baseUrl` goes to, as the queue groups them. */
export function apiHost(baseUrl: string): string {
  try {
    const url = new URL(baseUrl);
    return `${url.protocol}//${url.host}`;
  } catch {
    return baseUrl;
  }
}
