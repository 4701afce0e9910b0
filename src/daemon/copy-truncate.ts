import {
  closeSync,
  fstatSync,
  ftruncateSync,
  lstatSync,
  openSync,
  read,
  readSync,
  renameSync,
  unlinkSync,
  write,
  writeSync,
} from 'node:fs';

/** What one rotation did: what a follower of the file needs to carry on (see followFile). */
export type Rotation = {
  file: string;
  /** The inode that was copied and truncated. */
  inode: number;
  /** Where the copy is (`file.1`), or null when no backup is kept (backups 0). */
  backup: string | null;
  backupInode: number | null;
  /**
   * The file's size when it was truncated, as far as the daemon read it: the backup holds
   * exactly these bytes, at the same offsets.
   */
  bytes: number;
  /**
   * Bytes known lost: those still unread when the copy gave up chasing a writer faster than
   * itself (0 otherwise). The bytes of the truncate window itself cannot be counted.
   */
  lostBytes: number;
};

export type CopyLimits = {
  /** Bytes read and written at a time: the daemon never holds more of the file than this. */
  chunkBytes: number;
  /** Bytes the synchronous catch-up may copy before it gives the event loop back. */
  syncBytes: number;
  /** Catch-ups tried before the file is truncated even though the writer is still ahead. */
  rounds: number;
  /**
   * How far the copy chases a writer faster than itself, as a multiple of the file's size when
   * the rotation began: past it, the file is truncated with the writer still ahead. Without
   * it, such a writer would keep one rotation, and so the file and its backup, growing.
   */
  chaseFactor: number;
};

export type CopyOptions = {
  limits?: CopyLimits;
  /** Asked between chunks: true gives up (a closing daemon), leaving the file as it was. */
  isCancelled?: () => boolean;
  /**
   * Called in the same synchronous step as the truncate, before any other callback can run: a
   * follower told here never reads the new content at the old offset.
   */
  truncated?: (rotation: Rotation) => void;
};

export const COPY_LIMITS: CopyLimits = {
  chunkBytes: 1024 * 1024,
  syncBytes: 8 * 1024 * 1024,
  rounds: 8,
  chaseFactor: 4,
};

/**
 * Rotates `file` under a writer that keeps its descriptor: `file.1` … `file.(backups-1)` move
 * up one (the oldest is dropped), `file` is copied to `file.1`, then truncated to 0. The
 * writers opened it O_APPEND (spawn-process.ts), so their next write lands at the new end,
 * offset 0, instead of leaving a hole the size of the old file.
 *
 * Most of the copy runs on the thread pool a chunk at a time. Once it is within a chunk of the
 * end, the rest is copied synchronously until a read finds nothing more, and the truncate is
 * the very next call: no other callback of the daemon runs in between, and what a program
 * writes in the microseconds between that last read and the truncate is all that is lost (a
 * write the last read saw half of loses its other half). Should the program write faster than
 * the synchronous catch-up copies (more than `syncBytes` in one go), the event loop is given
 * back and the copy chases it again, up to `rounds` times, and up to `chaseFactor` times the
 * size the file had at the start; after that the file is truncated anyway and the bytes still
 * unread are counted in `lostBytes`.
 *
 * Throws the error of the step that failed (ENOENT for a file that is not there). A failure
 * before the truncate loses nothing: the file keeps growing and a partial copy is removed.
 * Resolves with null when cancelled, the file untouched.
 */
export async function copyTruncate(
  file: string,
  backups: number,
  options: CopyOptions = {},
): Promise<Rotation | null> {
  const limits = options.limits ?? COPY_LIMITS;
  const isCancelled = options.isCancelled ?? (() => false);
  const truncated = options.truncated ?? (() => {});
  const src = openSync(file, 'r+');
  try {
    const { ino: inode, mode } = fstatSync(src);
    if (backups === 0) {
      const size = fstatSync(src).size;
      ftruncateSync(src, 0);
      const rotation = { file, inode, backup: null, backupInode: null, bytes: size, lostBytes: 0 };
      truncated(rotation);
      return rotation;
    }
    shiftBackups(file, backups);
    const backup = `${file}.1`;
    // a new inode, never the old backup rewritten: a follower still reading the old one by
    // its name would read the new content at the old offsets (backups 1 keeps file.1 here)
    if (exists(backup)) unlinkSync(backup);
    const dst = openSync(backup, 'wx', mode & 0o777);
    const backupInode = fstatSync(dst).ino;
    let isDone = false;
    try {
      const buffer = Buffer.allocUnsafe(limits.chunkBytes);
      const chaseBytes = limits.chaseFactor * fstatSync(src).size;
      let copied = 0;
      let isChased = false;
      for (let round = 1; ; round++) {
        while (fstatSync(src).size - copied > limits.chunkBytes) {
          if (copied >= chaseBytes) {
            isChased = true;
            break;
          }
          if (isCancelled()) return null;
          const n = await readAt(src, buffer, copied);
          if (n === 0) break;
          await writeAll(dst, buffer.subarray(0, n));
          copied += n;
        }
        if (isCancelled()) return null;
        const isLast = isChased || round >= limits.rounds;
        const end = catchUpAndTruncate(src, dst, buffer, copied, limits, isLast);
        copied = end.copied;
        if (end.isTruncated) {
          isDone = true;
          const rotation = { file, inode, backup, backupInode, bytes: copied, lostBytes: end.lost };
          truncated(rotation);
          return rotation;
        }
      }
    } finally {
      closeSync(dst);
      // a copy that did not finish is removed; the file itself was not truncated
      if (!isDone) unlinkQuietly(backup);
    }
  } finally {
    closeSync(src);
  }
}

type CatchUp =
  { isTruncated: true; copied: number; lost: number } | { isTruncated: false; copied: number };

/**
 * Copies from `from` to the end of `src`, then truncates it, all without yielding: the lost
 * window is the gap between the read that finds the end and the truncate. Gives the event loop
 * back untruncated after `syncBytes`, unless `force`: then it truncates there.
 */
function catchUpAndTruncate(
  src: number,
  dst: number,
  buffer: Buffer,
  from: number,
  limits: CopyLimits,
  force: boolean,
): CatchUp {
  let copied = from;
  for (;;) {
    if (copied - from >= limits.syncBytes) {
      if (!force) return { isTruncated: false, copied };
      // still behind after every round: stop chasing, and say what is lost
      const size = fstatSync(src).size;
      ftruncateSync(src, 0);
      return { isTruncated: true, copied, lost: Math.max(0, size - copied) };
    }
    const n = readSync(src, buffer, 0, buffer.length, copied);
    if (n === 0) {
      ftruncateSync(src, 0);
      return { isTruncated: true, copied, lost: 0 };
    }
    writeAllSync(dst, buffer.subarray(0, n));
    copied += n;
  }
}

/**
 * Makes room at `file.1`: moves `file.1` … up to the first missing one (or `file.backups`,
 * whose old content is dropped) up by one. Backups left past `backups` by a config that kept
 * more are deleted.
 */
function shiftBackups(file: string, backups: number): void {
  for (let n = backups + 1; exists(`${file}.${n}`); n++) unlinkSync(`${file}.${n}`);
  let free = 1;
  while (free < backups && exists(`${file}.${free}`)) free++;
  for (let n = free - 1; n >= 1; n--) renameSync(`${file}.${n}`, `${file}.${n + 1}`);
}

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone, or the folder refuses: the next rotation writes over it
  }
}

function readAt(fd: number, buffer: Buffer, position: number): Promise<number> {
  return new Promise((resolve, reject) =>
    read(fd, buffer, 0, buffer.length, position, (error, n) =>
      error === null ? resolve(n) : reject(error),
    ),
  );
}

async function writeAll(fd: number, bytes: Buffer): Promise<void> {
  let done = 0;
  while (done < bytes.length) {
    done += await new Promise<number>((resolve, reject) =>
      write(fd, bytes, done, bytes.length - done, null, (error, n) =>
        error === null ? resolve(n) : reject(error),
      ),
    );
  }
}

function writeAllSync(fd: number, bytes: Buffer): void {
  let done = 0;
  while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
}
