import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { ConfigError } from '../domain/errors.js';

// The text of a config file, and where its server section lies in it: what tm needs to reach the
// daemon, kept apart from the YAML parser so that tm loads no YAML in the common case.

/**
 * The largest config file read. A config is a few KiB; a bigger file is more likely a log or a
 * data file named by mistake, and a reload runs on the daemon's event loop, where a long parse
 * stops supervision for its whole length.
 */
export const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

/**
 * The text of the file, refused past MAX_CONFIG_BYTES before it is read: the size is taken from
 * the open file, and the read stops one byte past the limit whatever the size said (a file that
 * grows meanwhile, a pipe, /proc).
 */
export function readConfigText(file: string): string {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    throw cannotRead(file, err);
  }
  try {
    const stat = fstatSync(fd);
    if (stat.isDirectory()) throw cannotRead(file, 'it is a folder');
    if (stat.size > MAX_CONFIG_BYTES) throw tooLarge(file, `${stat.size} bytes`);
    const buffer = Buffer.allocUnsafe(MAX_CONFIG_BYTES + 1);
    let length = 0;
    for (;;) {
      let n: number;
      try {
        n = readSync(fd, buffer, length, buffer.length - length, null);
      } catch (err) {
        throw cannotRead(file, err);
      }
      if (n === 0) break;
      length += n;
      if (length > MAX_CONFIG_BYTES) throw tooLarge(file, `more than ${MAX_CONFIG_BYTES} bytes`);
    }
    return buffer.toString('utf8', 0, length);
  } finally {
    closeSync(fd);
  }
}

function cannotRead(file: string, err: unknown): ConfigError {
  const why = typeof err === 'string' ? err : readError(err);
  const message = `cannot read the config file: ${why}`;
  return new ConfigError([{ file, line: 1, col: 1, keyPath: '', message, hint: null }]);
}

function tooLarge(file: string, found: string): ConfigError {
  const message = `the config file is too large: expected at most ${MAX_CONFIG_BYTES} bytes (4 MiB), found ${found}`;
  const hint = 'check that this is the config file; a config of many programs is a few hundred KiB';
  return new ConfigError([{ file, line: 1, col: 1, keyPath: '', message, hint }]);
}

/** A top-level key as most files write it: a plain name at column 0, then ":". */
const TOP_KEY = /^([A-Za-z0-9_][\w.-]*)[ \t]*:(?:[ \t]|\r?$)/;
/** A line with nothing in it for YAML: blank, or only a comment. */
const BLANK = /^[ \t]*(?:#.*)?\r?$/;
const DOCUMENT_START = /^---[ \t]*(?:#.*)?\r?$/;

/**
 * The lines of the top-level `server:` entry (from its key to the next line that starts at
 * column 0 with something other than a comment), when the root is a block mapping whose every
 * key is a plain name at column 0; 'absent' when such a file has no server key. Null for any
 * other shape (a flow mapping, quoted or complex keys, directives, several documents, `server`
 * twice, a byte-order mark): only a full parse can say where the section is then. In a
 * well-formed file of that shape a column-0 line can only be a root key, so the cut is what a
 * full parse would find.
 */
export function cutServerSection(
  text: string,
): { text: string; firstLine: number } | 'absent' | null {
  let hasKey = false;
  let start = -1;
  let firstLine = 0;
  let end = text.length;
  let lineNo = 0;
  for (let at = 0; at < text.length;) {
    const next = text.indexOf('\n', at);
    const lineEnd = next === -1 ? text.length : next + 1;
    lineNo++;
    const c = text.charCodeAt(at);
    // indented lines belong to the entry above; before any key they would make an indented root
    const isIndented = c === 0x20;
    if (isIndented && hasKey) {
      at = lineEnd;
      continue;
    }
    const line = text.slice(at, next === -1 ? text.length : next);
    if (BLANK.test(line)) {
      at = lineEnd;
      continue;
    }
    if (isIndented) return null;
    if (DOCUMENT_START.test(line) && !hasKey && lineNo === 1) {
      at = lineEnd;
      continue;
    }
    const key = TOP_KEY.exec(line)?.[1];
    if (key === undefined) return null;
    hasKey = true;
    if (start >= 0 && end === text.length) end = at;
    if (key === 'server') {
      if (start >= 0) return null;
      start = at;
      firstLine = lineNo;
      end = text.length;
    }
    at = lineEnd;
  }
  if (start < 0) return 'absent';
  return { text: text.slice(start, end), firstLine };
}

export function readError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'EISDIR') return 'it is a folder';
  return err instanceof Error ? err.message : String(err);
}
