import { readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';

/**
 * Python's `glob.glob(pattern)` for an absolute pattern, as Supervisor's `[include] files` uses
 * it: `*`, `?` and `[…]` in any part of the path, never across a `/`; a name starting with a
 * dot is matched only by a pattern part starting with one. Sorted, as Supervisor sorts them.
 */
export function glob(pattern: string): string[] {
  const parts = pattern.split('/').filter((p, i) => p !== '' || i === 0);
  let found = [parts[0] === '' ? '/' : parts[0]!];
  for (const part of parts.slice(1)) {
    const next: string[] = [];
    for (const dir of found) {
      if (!hasMagic(part)) {
        const candidate = path.join(dir, part);
        if (exists(candidate)) next.push(candidate);
        continue;
      }
      const re = fnmatch(part);
      for (const name of list(dir)) {
        if (name.startsWith('.') && !part.startsWith('.')) continue;
        if (re.test(name)) next.push(path.join(dir, name));
      }
    }
    found = next;
  }
  return found.sort();
}

function hasMagic(part: string): boolean {
  return /[*?[]/.test(part);
}

/** fnmatch.translate: `*` any run, `?` one character, `[…]` a set (`[!…]` its complement). */
function fnmatch(part: string): RegExp {
  let re = '';
  for (let i = 0; i < part.length; i++) {
    const c = part[i]!;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const end = part.indexOf(']', i + 2);
      if (end === -1) {
        re += '\\[';
        continue;
      }
      let set = part.slice(i + 1, end).replace(/\\/g, '\\\\');
      if (set.startsWith('!')) set = `^${set.slice(1)}`;
      else if (set.startsWith('^')) set = `\\${set}`;
      re += `[${set}]`;
      i = end;
    } else re += c.replace(/[.*+?^${}()|\\\]]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 's');
}

function list(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    // not a folder, or not readable: Python's glob matches nothing there either
    return [];
  }
}

function exists(p: string): boolean {
  try {
    statSync(p);
    return true;
  } catch {
    return false;
  }
}
