import { resolve } from 'node:path';
import { ConfigError } from '../config/config';

/** The files one configuration read went through: absolute path to what it held, or why it could not be read. */
export type FileSnapshot = ReadonlyMap<string, string>;

export interface SettledLoaderOptions<T> {
  /** Reads the configuration, every file through `readFile`; throws (a ConfigError) when it is invalid. */
  load: (readFile: (path: string) => string) => T;
  readFile: (path: string) => string;
  /** How long the files must stay unchanged before a changed configuration is applied. */
  quietMs: number;
  /** Give up, as a failed reload, when the files are still changing after this long. */
  maxWaitMs: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

interface Attempt<T> {
  snapshot: FileSnapshot;
  outcome: { ok: true; value: T } | { ok: false; error: unknown };
}

const unreadable = (error: unknown): string => `\0unreadable: ${(error as NodeJS.ErrnoException).code ?? 'error'}`;

export function sameSnapshot(a: FileSnapshot | undefined, b: FileSnapshot | undefined): boolean {
  if (!a || !b || a.size !== b.size) return false;
  for (const [path, text] of a) if (b.get(path) !== text) return false;
  return true;
}

/** Reads the files of `snapshot` again, in the same form. */
export function readSnapshot(paths: Iterable<string>, readFile: (path: string) => string): FileSnapshot {
  const snapshot = new Map<string, string>();
  for (const path of paths) {
    try {
      snapshot.set(path, readFile(path));
    } catch (error) {
      snapshot.set(path, unreadable(error));
    }
  }
  return snapshot;
}

/**
 * Reads the configuration so that a file caught half written is never applied: a reload whose
 * files differ from those last applied is read again after a quiet period, and only a read whose
 * every file is byte for byte what the read before it saw counts, parse error or not. A file that
 * keeps changing past maxWaitMs fails the reload. `files` says what the last settled read went
 * through: after a reload that gave up on a changing file they still differ, so the file is read
 * again once it settles.
 */
export class SettledLoader<T> {
  private applied: FileSnapshot | undefined;
  /** What the applied files gave; returned again, the same object, while they stay the same. */
  private appliedValue: T | undefined;
  private seen: FileSnapshot = new Map();
  private readonly now: () => number;
  private closed = false;
  /** Ends the quiet period under way at once (close). */
  private wake: (() => void) | undefined;

  constructor(private readonly options: SettledLoaderOptions<T>) {
    this.now = options.now ?? Date.now;
  }

  /** At shutdown: a reload waiting for files to settle fails now, and none starts any more. */
  close(): void {
    this.closed = true;
    this.wake?.();
  }

  /** The files the last settled read went through (applied or refused), and what they held then. */
  get files(): FileSnapshot {
    return this.seen;
  }

  /** The first read, at start-up: nothing to compare it with. */
  initial(): T {
    const attempt = this.attempt();
    this.seen = attempt.snapshot;
    if (!attempt.outcome.ok) throw attempt.outcome.error;
    this.applied = attempt.snapshot;
    this.appliedValue = attempt.outcome.value;
    return attempt.outcome.value;
  }

  /** The configuration once its files settle; the very object applied before when they are the same as then. */
  async reload(): Promise<T> {
    this.refuseWhenClosed();
    const started = this.now();
    let previous = this.attempt();
    // The complete files in force, read again: nothing to wait for, and nothing new to apply.
    if (previous.outcome.ok && sameSnapshot(previous.snapshot, this.applied)) {
      this.seen = previous.snapshot;
      return this.appliedValue as T;
    }
    for (;;) {
      await this.sleep(this.options.quietMs);
      this.refuseWhenClosed();
      const current = this.attempt();
      if (sameSnapshot(previous.snapshot, current.snapshot)) {
        this.seen = current.snapshot;
        if (!current.outcome.ok) throw current.outcome.error;
        if (sameSnapshot(current.snapshot, this.applied)) return this.appliedValue as T;
        this.applied = current.snapshot;
        this.appliedValue = current.outcome.value;
        return current.outcome.value;
      }
      if (this.now() - started >= this.options.maxWaitMs) {
        const changing = [...current.snapshot.keys()].filter(
          (p) => previous.snapshot.get(p) !== current.snapshot.get(p),
        );
        throw new ConfigError([
          `${changing.join(', ') || 'the configuration files'} kept changing for ${Math.round(
            (this.now() - started) / 1000,
          )}s; nothing applied (replace a file by renaming a complete copy over it)`,
        ]);
      }
      previous = current;
    }
  }

  private refuseWhenClosed(): void {
    if (this.closed) throw new ConfigError(['the exporter is shutting down; nothing applied']);
  }

  /** A timer that neither keeps the process alive nor outlives close(). */
  private sleep(ms: number): Promise<void> {
    if (this.options.sleep) return this.options.sleep(ms);
    return new Promise((done) => {
      const timer = setTimeout(() => this.wake?.(), ms);
      timer.unref();
      this.wake = () => {
        clearTimeout(timer);
        this.wake = undefined;
        done();
      };
    });
  }

  private attempt(): Attempt<T> {
    const snapshot = new Map<string, string>();
    const readFile = (path: string): string => {
      const key = resolve(path);
      try {
        const text = this.options.readFile(path);
        snapshot.set(key, text);
        return text;
      } catch (error) {
        snapshot.set(key, unreadable(error));
        throw error;
      }
    };
    let outcome: Attempt<T>['outcome'];
    try {
      outcome = { ok: true, value: this.options.load(readFile) };
    } catch (error) {
      outcome = { ok: false, error };
    }
    return { snapshot, outcome };
  }
}
