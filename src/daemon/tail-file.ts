import { closeSync, fstatSync, openSync, readSync, statSync, watch } from 'node:fs';
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
 * What is appended to a file from `offset` on, as it is written (inotify through fs.watch; the
 * child writes the file itself, so the daemon reads it only while someone follows). A truncated
 * file is read again from its start.
 */
export function followFile(file: string, offset: number): Observable<TailChunk> {
  return new Observable<TailChunk>((subscriber) => {
    let position = offset;
    const readNew = () => {
      let size: number;
      try {
        size = statSync(file).size;
      } catch {
        // rotated away or deleted: wait for it to come back
        return;
      }
      if (size < position) position = 0;
      if (size === position) return;
      const fd = openSync(file, 'r');
      try {
        const text = read(fd, position, size - position);
        position = size;
        subscriber.next({ text, offset: position });
      } finally {
        closeSync(fd);
      }
    };
    const watcher = watch(file, { persistent: false }, readNew);
    watcher.on('error', (error) => subscriber.error(error));
    // what was written between the initial read and the watch
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
