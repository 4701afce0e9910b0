import { readdirSync, statSync, type Dirent } from 'node:fs';
import * as path from 'node:path';

/**
 * The files a pattern names, sorted, as Python's glob.glob names them for Supervisor's
 * [include]: `*`, `?` and `[…]` (`[!…]` for "none of") in any segment of the path, matched one
 * segment at a time (no `**`); a wildcard matches no name starting with "." unless its segment
 * does. Only files are kept: a folder the last segment matches is left out. Node 20's fs has no
 * glob of its own. Relative patterns are taken from `dir`.
 */
export function glob(pattern: string, dir: string): string[] {
  const absolute = path.resolve(dir, pattern);
  const segments = absolute.split('/').filter((s) => s !== '');
  let found = ['/'];
  for (const [i, segment] of segments.entries()) {
    const isLast = i === segments.length - 1;
    const next: string[] = [];
    for (const parent of found) {
      if (!hasMagic(segment)) {
        const p = path.join(parent, segment);
        if (isLast ? isFile(p) : isFolder(p)) next.push(p);
        continue;
      }
      const matcher = segmentMatcher(segment);
      for (const entry of entries(parent)) {
        if (!matcher.test(entry.name)) continue;
        const p = path.join(parent, entry.name);
        if (isLast ? isFile(p) : isFolder(p)) next.push(p);
      }
    }
    found = next;
    if (found.length === 0) break;
  }
  return found.sort();
}

export function hasMagic(segment: string): boolean {
  return /[*?[]/.test(segment);
}

/** A folder that is not there matches nothing; one that cannot be read is an error to report. */
function entries(folder: string): Dirent[] {
  try {
    return readdirSync(folder, { withFileTypes: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    throw error;
  }
}

// stat, not lstat: a symlink counts as what it points to, as in Python's glob
function isFile(p: string): boolean {
  return statSync(p, { throwIfNoEntry: false })?.isFile() ?? false;
}

function isFolder(p: string): boolean {
  return statSync(p, { throwIfNoEntry: false })?.isDirectory() ?? false;
}

/** fnmatch's translation of one segment (case-sensitive, as on POSIX). */
export function segmentMatcher(segment: string): RegExp {
  const chars = Array.from(segment);
  let re = '';
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const close = classEnd(chars, i);
      if (close === -1) re += '\\[';
      else {
        re += characterClass(chars.slice(i + 1, close));
        i = close;
      }
    } else re += escapeRegExp(c);
  }
  // hidden names are matched only by a pattern that says so, as in glob's _ishidden
  const hidesDots = !segment.startsWith('.');
  return new RegExp(`^${hidesDots ? '(?!\\.)' : ''}${re}$`, 'su');
}

/** The index of the `]` closing the class opened at `open`; a `]` first in it is a member. */
function classEnd(chars: readonly string[], open: number): number {
  let j = open + 1;
  if (chars[j] === '!') j++;
  if (chars[j] === ']') j++;
  while (j < chars.length && chars[j] !== ']') j++;
  return j < chars.length ? j : -1;
}

function characterClass(members: readonly string[]): string {
  const isNegated = members[0] === '!';
  const rest = isNegated ? members.slice(1) : members;
  let body = '';
  for (let k = 0; k < rest.length; k++) {
    const lo = rest[k]!;
    const hi = rest[k + 2];
    if (rest[k + 1] === '-' && hi !== undefined) {
      // a reversed range matches nothing, as in Python (a RegExp would refuse it)
      if (lo.codePointAt(0)! <= hi.codePointAt(0)!)
        body += `${escapeMember(lo)}-${escapeMember(hi)}`;
      k += 2;
    } else body += escapeMember(lo);
  }
  // an empty class matches nothing, its negation any one character
  return isNegated ? `[^${body}]` : `[${body}]`;
}

function escapeMember(c: string): string {
  return '\\]-[^'.includes(c) ? `\\${c}` : c;
}

function escapeRegExp(c: string): string {
  return /[\\^$.*+?()[\]{}|/]/.test(c) ? `\\${c}` : c;
}
