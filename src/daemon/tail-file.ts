import { closeSync, fstatSync, openSync, readSync, statSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { Observable } from 'rxjs';

export type TailChunk = { text: string; offset: number };

/** The last `bytes` of a file (from the start of a line when it can), and where it ends. */
export function tailFile(file: string, bytes: number): TailChunk {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const start = Math.max(0, size - bytes);
    const text = read(fd, start, size - start);
    // a cut in the middle of a line starts at the next one
    const cut = start > 0 ? text.indexOf('\n') + 1 : 0;
    return { text: text.slice(cut), offset: size };
  } finally {
    closeSync(fd);
  }
}

/**
 * What is appended to a file from `offset` on, as it is written. The folder is watched (inotify
 * through fs.watch), not the file: the file may not exist yet (an instance that never ran), or
 * be rotated away and created again — a new file (another inode) or a truncated one is read from
 * its start. The child writes the file itself: the daemon reads it only while someone follows.
 */
export function followFile(file: string, offset: number): Observable<TailChunk> {
  return new Observable<TailChunk>((subscriber) => {
    let position = offset;
    let inode: number | null = null;
    const readNew = () => {
      let stat;
      try {
        stat = statSync(file);
      } catch {
        // not there (yet, or any more): the next write brings it back
        return;
      }
      if (inode !== null && stat.ino !== inode) position = 0;
      inode = stat.ino;
      if (stat.size < position) position = 0;
      if (stat.size === position) return;
      let fd: number;
      try {
        fd = openSync(file, 'r');
      } catch {
        // removed between the stat and the open: as if not there
        return;
      }
      try {
        const text = read(fd, position, stat.size - position);
        position = stat.size;
        subscriber.next({ text, offset: position });
      } finally {
        closeSync(fd);
      }
    };
    const name = basename(file);
    let watcher: FSWatcher;
    try {
      watcher = watch(dirname(file), { persistent: false }, (_event, changed) => {
        if (changed === null || changed === name) readNew();
      });
    } catch (error) {
      subscriber.error(error);
      return undefined;
    }
    watcher.on('error', (error) => subscriber.error(error));
    // what was written between the first read and the watch
    readNew();
    return () => watcher.close();
  });
}

function read(fd: number, position: number, length: number): string {
  const buffer = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buffer, done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return buffer.subarray(0, done).toString('utf8');
}
