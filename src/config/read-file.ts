import { closeSync, constants, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';

/** Configuration files are small: accounts, web config, certificates, a CA bundle, a secret. */
const MAX_CONFIG_FILE_BYTES = 1024 * 1024;

/** A file the exporter will not read; `message` says why in words ("a FIFO (named pipe), not a regular file"). */
export class RefusedFileError extends Error {
  constructor(
    readonly code: 'ENOTREG' | 'EFBIG',
    message: string,
  ) {
    super(message);
    this.name = 'RefusedFileError';
  }
}

function kindOf(stats: Stats): string {
  if (stats.isFIFO()) return 'a FIFO (named pipe)';
  if (stats.isSocket()) return 'a socket';
  if (stats.isDirectory()) return 'a directory';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  return 'not a file';
}

function refuseUnlessRegular(stats: Stats): void {
  if (!stats.isFile()) throw new RefusedFileError('ENOTREG', `${kindOf(stats)}, not a regular file`);
  if (stats.size > MAX_CONFIG_FILE_BYTES) throw new RefusedFileError('EFBIG', 'larger than 1 MiB');
}

/**
 * Reads a file the configuration names, as UTF-8. Only a regular file (after following links)
 * of at most 1 MiB is read: opening a FIFO would block the event loop until a writer comes,
 * and a device never ends. Other errors keep their code (ENOENT, EACCES).
 */
export function readConfigFile(path: string): string {
  // Refused before open() for a clear word on sockets, which cannot be opened at all.
  refuseUnlessRegular(statSync(path));
  // Non-blocking, in case it became a FIFO since: open() then returns at once, and fstat tells.
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    refuseUnlessRegular(fstatSync(fd));
    // Read to the end rather than trust the size: files under /proc report 0.
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(64 * 1024);
      const count = readSync(fd, chunk, 0, chunk.length, null);
      if (count === 0) break;
      total += count;
      if (total > MAX_CONFIG_FILE_BYTES) throw new RefusedFileError('EFBIG', 'larger than 1 MiB');
      chunks.push(chunk.subarray(0, count));
    }
    return Buffer.concat(chunks).toString('utf8');
  } finally {
    closeSync(fd);
  }
}
