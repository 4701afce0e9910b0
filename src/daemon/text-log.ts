import { closeSync, fstatSync, ftruncateSync, openSync, renameSync, writeSync } from 'node:fs';
import type { FileLimit } from '../domain/types.js';

export type TextLog = {
  info: (line: string) => void;
  warn: (line: string) => void;
  error: (line: string) => void;
  /**
   * Closes the file and opens its path again (SIGUSR2, after an external logrotate moved it
   * away). False when the path cannot be opened: the log goes on in the file it had, and says so.
   */
  reopen: () => boolean;
  close: () => void;
};

/**
 * The daemon's log as text, one line an event with its time. Written synchronously:
 * a line about a crash must be on disk before the crash, and the rate is one line per transition.
 *
 * Bounded by `limit`: the daemon owns the only descriptor, so a file about to pass `maxBytes` is
 * rotated by rename (`PATH.1` the newest … `PATH.backups`, the oldest dropped) and `PATH` opened
 * anew. The size is counted from the bytes written, from the file's size at open; a line is
 * never split, so a file exceeds the bound only by a line longer than `maxBytes`. Only a regular
 * file is rotated (`/dev/stderr` or a fifo is written as it is).
 *
 * Nothing here throws into the daemon: a line that cannot be written is counted and said once
 * writing works again; a rotation or reopen that fails is said once, and the log goes on in the
 * file it has (a rotation is tried again after another `maxBytes`).
 */
export function openTextLog(
  file: string,
  limit: FileLimit,
  echo: NodeJS.WritableStream | null,
): TextLog {
  let fd: number | null = openSync(file, 'a');
  let { size, isRotatable } = measure(fd);
  let dropped = 0;
  /** The last rotation or reopen failed; said once, until one works again. */
  let failure: string | null = null;

  const stamp = (level: string, line: string) => `${new Date().toISOString()} ${level} ${line}\n`;

  const lostNotice = () =>
    dropped > 0 ? stamp('WARN', `${dropped} log lines were lost (disk full?)`) : '';

  const append = (text: string) => {
    if (fd === null) return;
    try {
      size += writeSync(fd, lostNotice() + text);
      dropped = 0;
    } catch {
      // a full disk must not stop supervision: the line is counted, and said once it can be
      dropped++;
    }
  };

  const write = (level: string, line: string) => {
    const text = stamp(level, line);
    if (fd !== null && isRotatable && limit.maxBytes > 0 && size > 0) {
      // the notice of lines lost goes first, and counts towards the bound with the line
      if (size + Buffer.byteLength(lostNotice() + text) > limit.maxBytes) rotate();
    }
    append(text);
    echo?.write(text);
  };

  // The terminal or pipe the log is echoed to can go away (an ssh session closed, the reader of
  // a pipe killed): its EPIPE comes as an 'error' event, which unheard would be an uncaught
  // exception, whose report would be echoed again, without end. The file has every line: the
  // echo stops, and the file says why.
  echo?.on('error', (error: unknown) => {
    if (echo === null) return;
    echo = null;
    append(stamp('WARN', `stderr: ${errorText(error)}; the log is no longer echoed there`));
  });

  /** Something went wrong with the file itself: said once, in whatever file is open. */
  const fail = (what: string, error: unknown) => {
    const message = `${what} ${file}: ${errorText(error)}; the log goes on in the file it had`;
    if (failure === message) return;
    failure = message;
    const text = stamp('ERROR', message);
    append(text);
    echo?.write(text);
  };

  const recovered = (what: string) => {
    if (failure === null) return;
    failure = null;
    const text = stamp('INFO', `${what} ${file} works again`);
    append(text);
    echo?.write(text);
  };

  /** Opens `file` in place of the descriptor in use, which is closed only once that worked. */
  const swap = (what: string): boolean => {
    let next: number;
    try {
      next = openSync(file, 'a');
    } catch (error) {
      fail(`cannot ${what}`, error);
      return false;
    }
    if (fd !== null) closeQuietly(fd);
    fd = next;
    ({ size, isRotatable } = measure(next));
    return true;
  };

  const rotate = () => {
    const old = fd!;
    if (limit.backups === 0) {
      try {
        ftruncateSync(old, 0);
        size = 0;
        recovered('rotating');
      } catch (error) {
        fail('cannot truncate', error);
        size = 0; // tried again after another maxBytes, not at every line
      }
      return;
    }
    try {
      // the descriptor follows the file it names: PATH is written on until the new one is open
      for (let n = limit.backups - 1; n >= 1; n--)
        renameIfThere(`${file}.${n}`, `${file}.${n + 1}`);
      // PATH may be gone (removed by hand, or moved by a rotation whose open then failed):
      // what is written now goes to a new PATH all the same
      renameIfThere(file, `${file}.1`);
    } catch (error) {
      fail('cannot rotate', error);
      size = 0;
      return;
    }
    if (swap('open a new log file at')) recovered('rotating');
    else size = 0;
  };

  return {
    info: (line) => write('INFO', line),
    warn: (line) => write('WARN', line),
    error: (line) => write('ERROR', line),
    reopen: () => {
      if (fd === null) return false;
      if (!swap('reopen')) return false;
      recovered('reopening');
      return true;
    },
    close: () => {
      if (fd === null) return;
      closeQuietly(fd);
      fd = null;
    },
  };
}

function measure(fd: number): { size: number; isRotatable: boolean } {
  try {
    const stat = fstatSync(fd);
    return { size: stat.size, isRotatable: stat.isFile() };
  } catch {
    // cannot happen on a descriptor just opened; if it did, the file is written unbounded
    // rather than the daemon stopped
    return { size: 0, isRotatable: false };
  }
}

/** A file not there (fewer rotations so far than `backups`) is no failure. */
function renameIfThere(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // a close that fails (EIO on a network disk) leaves nothing to do: the descriptor is gone
  }
}

function errorText(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  return e.code ?? e.message;
}
