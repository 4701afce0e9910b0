import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { Fault } from './faults.js';

/**
 * The most one read returns. Supervisor reads whatever is asked (`readProcessStdoutLog(name, 0,
 * 0)` is the whole file, up to its 50 MB): a bigger read is cut here, and a client reading on
 * from the offset it got gets the rest.
 */
export const MAX_READ_BYTES = 1024 * 1024;

/**
 * Supervisor's `readFile` (supervisor/options.py): `length` bytes from `offset`; a negative
 * offset is that many bytes from the end (its length must then be 0); length 0 reads to the end.
 * BAD_ARGUMENTS for the forms it refuses, FAILED when the file cannot be read.
 */
export function readRange(file: string, offset: number, length: number): string {
  if ((offset < 0 && length !== 0) || length < 0) throw new Fault('BAD_ARGUMENTS');
  return withFile(file, (fd, size) => {
    const start = offset < 0 ? Math.max(0, size + offset) : offset;
    const end = offset < 0 ? size : length === 0 ? size : Math.min(size, offset + length);
    return read(fd, start, end).toString('utf8');
  });
}

/**
 * Supervisor's `tailFile`: up to `length` bytes ending at the end of the file when it has grown
 * past `offset + length` (overflow), else from `offset`; and the offset to ask next (the size).
 * A file that cannot be read is `['', offset, false]`, as in Supervisor.
 */
export function tailRange(file: string, offset: number, length: number): [string, number, boolean] {
  try {
    return withFile(file, (fd, size) => {
      let from = offset;
      let len = Math.min(Math.max(length, 0), MAX_READ_BYTES);
      let overflow = false;
      if (size > from + len) {
        overflow = true;
        from = size - 1;
      }
      if (from + len > size) {
        if (from > size - 1) len = 0;
        from = size - len;
      }
      from = Math.max(0, from);
      const text = len === 0 ? '' : read(fd, from, from + len).toString('utf8');
      return [text, size, overflow] as [string, number, boolean];
    });
  } catch {
    // Supervisor's answer to a file it cannot read: nothing, and the same offset
    return ['', offset, false];
  }
}

function withFile<T>(file: string, use: (fd: number, size: number) => T): T {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (error) {
    throw new Fault('FAILED', `cannot read ${file}: ${(error as NodeJS.ErrnoException).code}`);
  }
  try {
    return use(fd, fstatSync(fd).size);
  } finally {
    closeSync(fd);
  }
}

function read(fd: number, start: number, end: number): Buffer {
  const want = Math.min(Math.max(0, end - start), MAX_READ_BYTES);
  const buffer = Buffer.alloc(want);
  let got = 0;
  while (got < want) {
    const n = readSync(fd, buffer, got, want - got, start + got);
    if (n === 0) break;
    got += n;
  }
  return buffer.subarray(0, got);
}
