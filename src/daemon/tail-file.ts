import { closeSync, fstatSync, openSync, readSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { EMPTY, Observable } from 'rxjs';
import { TaskmasterError } from '../domain/errors.js';
import { TAIL_EVENT_MAX_BYTES, type TailEvent } from '../rpc/protocol.js';
import type { Flow } from '../rpc/server.js';
import type { Rotation } from './copy-truncate.js';

export type TailChunk = { text: string; offset: number };

/**
 * The last `bytes` of a file (from the start of a line when one begins within them, else of a
 * character), and the offset to follow it from: the end of its last whole character, so that
 * one being written is read whole by the follower.
 */
export function tailFile(file: string, bytes: number): TailChunk {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const start = Math.max(0, size - bytes);
    // the byte before the window too: whether the window begins a line
    const from = Math.max(0, start - 1);
    const buffer = Buffer.alloc(size - from);
    const n = readFully(fd, buffer, from);
    const got = buffer.subarray(0, n - incompleteTail(buffer.subarray(0, n)));
    const window = got.subarray(start - from);
    const cut = tailStart(window, start === 0 || got[0] === 0x0a);
    return { text: window.subarray(cut).toString('utf8'), offset: from + got.length };
  } finally {
    closeSync(fd);
  }
}

/**
 * Where the text of a tail's window begins: at its start when that starts a line, else at the
 * first line that begins within it; with none (a line longer than the window, or only the
 * newline that ends the last one), at its first whole character, so that a tail of lines longer
 * than the window still shows their end (issue 10).
 */
export function tailStart(window: Buffer, isAtLineStart: boolean): number {
  if (isAtLineStart) return 0;
  const nl = window.indexOf(0x0a);
  return nl >= 0 && nl + 1 < window.length ? nl + 1 : charStart(window);
}

export type FollowLimits = {
  /** Bytes read at a time, and sent as one event. */
  chunkBytes: number;
  /** Unread bytes past which a client that can take more is jumped ahead to the end. */
  maxLagBytes: number;
  /** Bytes read in one go before the event loop gets its turn. */
  passBytes: number;
};

/** `{ id, event: { text } }` around the text takes 30 bytes of msgpack at most. */
const FRAME_OVERHEAD = 64;

export const FOLLOW_LIMITS: FollowLimits = {
  chunkBytes: TAIL_EVENT_MAX_BYTES - FRAME_OVERHEAD,
  maxLagBytes: 4 * 1024 * 1024,
  passBytes: 1024 * 1024,
};

/**
 * What is appended to a file from `offset` on, as it is written, read a chunk at a time and
 * only while the client's `flow` has room: however fast the child writes, the daemon holds one
 * chunk, and the client's connection at most its high-water mark. A client that falls more
 * than `maxLagBytes` behind is jumped ahead: a `{ text: '', skipped }` notice, then the newest
 * chunk of the file from its first line start. Characters are never cut (StringDecoder keeps
 * a partial one for the next chunk).
 *
 * The folder is watched (inotify through fs.watch), not the file: the file may not exist yet
 * (an instance that never ran), or be rotated away and created again — a new file (another
 * inode) or a truncated one is read from its start, and what was not read of a rotated one is
 * counted as skipped. The child writes the file itself: the daemon reads it only while someone
 * follows. Nothing here throws into the daemon: a failed read ends this stream with TAIL_FAILED.
 *
 * The daemon's own rotations (copy, then truncate: the same inode) are told on `rotations`, in
 * the same step as the truncate, so the follower never reads the new content at the old
 * offset: it finishes the old content from the backup (same offsets), then reads the file from
 * 0. A truncate it is not told of is seen when the file is shorter than what was read.
 */
export function followFile(
  file: string,
  offset: number,
  flow: Flow,
  rotations: Observable<Rotation> = EMPTY,
  limits: FollowLimits = FOLLOW_LIMITS,
): Observable<TailEvent> {
  return new Observable<TailEvent>((subscriber) => {
    const buffer = Buffer.allocUnsafe(limits.chunkBytes);
    let decoder = new StringDecoder('utf8');
    let position = offset;
    let inode: number | null = null;
    /** The size at the last look: what a rotation takes away unread is this less position. */
    let lastSize = offset;
    let skipped = 0;
    /** After a jump: the bytes up to the next line start are skipped too. */
    let isResyncing = false;
    let isDone = false;
    let again: NodeJS.Immediate | null = null;
    /** The unread rest of a rotated file, to read from its backup before the file again. */
    let rest: { backup: string; inode: number; end: number; lost: number } | null = null;

    const restart = () => {
      position = 0;
      decoder = new StringDecoder('utf8');
      isResyncing = false;
    };

    const emit = (bytes: Buffer) => {
      let b = bytes;
      if (isResyncing) {
        const cut = lineOrCharStart(b);
        skipped += cut;
        b = b.subarray(cut);
        isResyncing = false;
      }
      if (skipped > 0) {
        subscriber.next({ text: '', skipped });
        skipped = 0;
      }
      for (const text of pieces(decoder.write(b), limits.chunkBytes)) subscriber.next({ text });
    };

    /** The rotation took the bytes from `position` to `end` to the backup, or away. */
    const rotated = (r: Rotation) => {
      if (r.file !== file || (inode !== null && r.inode !== inode)) return;
      // a rest not finished is dropped: the follower goes on with the newer content
      const from = rest === null ? position : 0;
      if (rest !== null) skipped += Math.max(0, rest.end - position);
      rest = null;
      if (r.backup !== null && r.backupInode !== null && from < r.bytes) {
        rest = { backup: r.backup, inode: r.backupInode, end: r.bytes, lost: r.lostBytes };
        position = from;
      } else {
        skipped += Math.max(0, r.bytes - from) + r.lostBytes;
        restart();
      }
      lastSize = 0;
      if (again === null) again = setImmediate(pump);
    };

    /** Reads the rest from the backup; true once it is done, and the file is next (from 0). */
    const readRest = (): boolean => {
      const { backup, inode: backupInode, end, lost } = rest!;
      const finish = () => {
        // and what the rotation could not copy, between the backup's end and the truncate
        skipped += Math.max(0, end - position) + lost;
        rest = null;
        // the old content continues into the new: the decoder carries a split character over
        position = 0;
        return true;
      };
      if (end - position > limits.maxLagBytes) return finish();
      let fd: number;
      try {
        fd = openSync(backup, 'r');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return finish();
        throw error;
      }
      try {
        // rotated on again meanwhile: another file has that name now
        if (fstatSync(fd).ino !== backupInode) return finish();
        let budget = limits.passBytes;
        while (position < end && !isDone) {
          if (!flow.hasRoom()) return false;
          if (budget <= 0) {
            again = setImmediate(pump);
            return false;
          }
          const n = readSync(fd, buffer, 0, Math.min(buffer.length, end - position), position);
          if (n === 0) break;
          position += n;
          budget -= n;
          emit(buffer.subarray(0, n));
        }
        return isDone ? false : finish();
      } finally {
        closeSync(fd);
      }
    };

    const readAvailable = () => {
      if (rest !== null && !readRest()) return;
      let fd: number;
      try {
        fd = openSync(file, 'r');
      } catch (error) {
        // not there (yet, or any more): the next write brings it back
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw error;
      }
      try {
        const { ino, size } = fstatSync(fd);
        if (inode !== null && ino !== inode) {
          skipped += Math.max(0, lastSize - position);
          restart();
        } else if (size < position) {
          restart();
        }
        inode = ino;
        lastSize = size;
        let budget = limits.passBytes;
        while (position < size && !isDone) {
          // the client's 'drain' calls again
          if (!flow.hasRoom()) return;
          if (budget <= 0) {
            again = setImmediate(pump);
            return;
          }
          if (size - position > limits.maxLagBytes) {
            // the newest chunk is what a person following wants to see
            const to = size - limits.chunkBytes;
            skipped += to - position;
            position = to;
            decoder = new StringDecoder('utf8');
            isResyncing = true;
          }
          const n = readSync(fd, buffer, 0, Math.min(buffer.length, size - position), position);
          // truncated while being read: the next look starts it again
          if (n === 0) return;
          position += n;
          budget -= n;
          emit(buffer.subarray(0, n));
        }
      } finally {
        closeSync(fd);
      }
    };

    function pump(): void {
      again = null;
      if (isDone) return;
      try {
        readAvailable();
      } catch (error) {
        fail(error);
      }
    }

    const fail = (error: unknown) => {
      if (isDone) return;
      isDone = true;
      const e = error as NodeJS.ErrnoException;
      subscriber.error(
        new TaskmasterError('TAIL_FAILED', `cannot follow ${file}: ${e.code ?? e.message}`, {
          hint: 'check the file and its folder (permissions, the disk), then tail again',
          cause: error,
        }),
      );
    };

    const name = basename(file);
    let watcher: FSWatcher;
    try {
      watcher = watch(dirname(file), { persistent: false }, (_event, changed) => {
        if (changed === null || changed === name) pump();
      });
    } catch (error) {
      fail(error);
      return undefined;
    }
    watcher.on('error', fail);
    const drained = flow.drained$.subscribe(() => pump());
    const rotation = rotations.subscribe((r) => {
      // told from inside the rotator: a bug here must end this stream, not the daemon
      try {
        rotated(r);
      } catch (error) {
        fail(error);
      }
    });
    // what was written between the first read and the watch
    pump();
    return () => {
      isDone = true;
      if (again !== null) clearImmediate(again);
      drained.unsubscribe();
      rotation.unsubscribe();
      watcher.close();
    };
  });
}

/** Reads from `position` until `buffer` is full or the file ends; the bytes read. */
function readFully(fd: number, buffer: Buffer, position: number): number {
  let done = 0;
  while (done < buffer.length) {
    const n = readSync(fd, buffer, done, buffer.length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}

/** Where the first whole line of `b` starts; without a newline, its first whole character. */
function lineOrCharStart(b: Buffer): number {
  const nl = b.indexOf(0x0a);
  return nl >= 0 ? nl + 1 : charStart(b);
}

/** Where the first whole character of `b` starts. */
function charStart(b: Buffer): number {
  let i = 0;
  // UTF-8 continuation bytes (10xxxxxx): the rest of a character cut off
  while (i < b.length && i < 3 && (b[i]! & 0xc0) === 0x80) i++;
  return i;
}

/** Bytes at the end of `b` that begin a UTF-8 character whose rest is not written yet. */
function incompleteTail(b: Buffer): number {
  for (let i = 1; i <= Math.min(3, b.length); i++) {
    const c = b[b.length - i]!;
    if ((c & 0xc0) === 0x80) continue;
    const length = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
    return length > i ? i : 0;
  }
  return 0;
}

/**
 * `text` in pieces of at most `maxBytes` of UTF-8, never inside a character. Only bytes that
 * are not UTF-8 make a chunk's text longer than the chunk (each is U+FFFD: three bytes).
 */
function pieces(text: string, maxBytes: number): string[] {
  if (text === '') return [];
  if (Buffer.byteLength(text) <= maxBytes + 3) return [text];
  const out: string[] = [];
  let start = 0;
  let bytes = 0;
  for (let i = 0; i < text.length;) {
    const cp = text.codePointAt(i)!;
    const size = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    if (bytes + size > maxBytes) {
      out.push(text.slice(start, i));
      start = i;
      bytes = 0;
    }
    bytes += size;
    i += cp > 0xffff ? 2 : 1;
  }
  out.push(text.slice(start));
  return out;
}
