import { watch, realpathSync, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Logger } from '../log/logger';
import { readSnapshot, sameSnapshot, type FileSnapshot } from './settled-load';

export interface ConfigWatcherOptions {
  /** The files the last settled configuration read went through (SettledLoader.files). */
  files: () => FileSnapshot;
  readFile: (path: string) => string;
  /** Re-reads and applies the configuration (the exporter's reload). */
  reload: (trigger: string) => Promise<unknown>;
  logger: Logger;
  /** Wait this long after the last change seen before reloading. */
  quietMs: number;
  /** Compare the files this often as well, for file systems whose changes raise no event. */
  rescanMs: number;
}

export const FILE_CHANGE_TRIGGER = 'file change';

/**
 * Reloads the configuration when a file it was read from changes. It watches the folders, not
 * the files: the kubelet swaps a Secret by renaming a `..data` link, and editors rename a new
 * copy over the old file, neither of which an inode watch on the file sees. An event only starts
 * the quiet period; the reload runs when the files then differ from those of the last read.
 */
export class ConfigWatcher {
  private readonly watchers = new Map<string, FSWatcher>();
  private timer: NodeJS.Timeout | undefined;
  private readonly rescan: NodeJS.Timeout;
  private running = false;
  private again = false;
  private closed = false;

  constructor(private readonly options: ConfigWatcherOptions) {
    this.follow();
    this.rescan = setInterval(() => {
      this.follow();
      void this.check();
    }, options.rescanMs);
    this.rescan.unref();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    clearInterval(this.rescan);
    for (const watcher of this.watchers.values()) watcher.close();
    this.watchers.clear();
  }

  /** The folders to watch: each file's own, and its target's when it is a link (but not the kubelet's timestamped one). */
  private folders(): Set<string> {
    const folders = new Set<string>();
    for (const path of this.options.files().keys()) {
      folders.add(dirname(path));
      try {
        const target = dirname(realpathSync(path));
        if (!basename(target).startsWith('..')) folders.add(target);
      } catch {
        // Missing now: its folder is watched, and the rescan compares it.
      }
    }
    return folders;
  }

  /** Watches the folders of the files last read, and no others. */
  private follow(): void {
    const wanted = this.folders();
    for (const [folder, watcher] of this.watchers) {
      if (wanted.has(folder)) continue;
      watcher.close();
      this.watchers.delete(folder);
    }
    for (const folder of wanted) {
      if (this.watchers.has(folder)) continue;
      try {
        const watcher = watch(folder, { persistent: false }, () => this.changed());
        watcher.on('error', () => {
          watcher.close();
          this.watchers.delete(folder);
          this.changed();
        });
        this.watchers.set(folder, watcher);
      } catch (error) {
        this.options.logger.warn(
          { folder, err: (error as NodeJS.ErrnoException).code ?? String(error) },
          `cannot watch ${folder}; its files are compared every ${this.options.rescanMs / 1000}s instead`,
        );
      }
    }
  }

  private changed(): void {
    if (this.closed) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.check(), this.options.quietMs);
    this.timer.unref();
  }

  private async check(): Promise<void> {
    if (this.closed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    const last = this.options.files();
    if (sameSnapshot(readSnapshot(last.keys(), this.options.readFile), last)) return;
    this.running = true;
    try {
      this.options.logger.info('a configuration file changed; reloading');
      await this.options.reload(FILE_CHANGE_TRIGGER);
    } catch (error) {
      // The reload reports its own failures; this is a last guard, as nothing awaits this promise.
      this.options.logger.error(
        { err: error instanceof Error ? error.message : String(error) },
        'reload on file change failed',
      );
    } finally {
      this.running = false;
    }
    if (this.closed) return;
    this.follow();
    if (this.again) {
      this.again = false;
      this.changed();
    }
  }
}
