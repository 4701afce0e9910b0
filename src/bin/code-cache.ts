import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
  type Stats,
} from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Script } from 'node:vm';

/**
 * tm's start-up without compiling: Node 20 compiles every program from its source at each run
 * (a code cache for ES modules came with Node 22), and for tm's bundle that is most of what a
 * `tm status` costs above `node -e 0` (BENCHMARKS.md, "tm latency"). So the bundle is CommonJS,
 * compiled here by V8 with the code it compiled at an earlier run, kept in the user's cache
 * folder. V8 takes a cache for any source of the same length (it checks only that, its version
 * and its flags), so the cache's name carries what tells one bundle from another: its hash, set
 * by the build, and the size and modification time the file has now (a bundle rebuilt or edited
 * since, even with its launcher left as it was). A cache that does not fit is compiled around,
 * as without one, and written again.
 */

/** How many caches are kept, the most recently written (a checkout and an installed copy…). */
const KEPT = 4;
/** A temp file older than this was left by a tm that was killed while writing it. */
const STALE_TEMP_MS = 60_000;

/**
 * `$XDG_CACHE_HOME/taskmaster`, else `~/.cache/taskmaster` (the XDG base directories), with the
 * folder it is made in (which must exist), or null when neither variable is set (a service
 * account without a home): tm then runs without one.
 */
export function cacheDir(env: NodeJS.ProcessEnv): { base: string; dir: string } | null {
  const xdg = env['XDG_CACHE_HOME'];
  if (xdg !== undefined && xdg.startsWith('/')) return { base: xdg, dir: join(xdg, 'taskmaster') };
  const home = env['HOME'];
  if (home === undefined || !home.startsWith('/')) return null;
  return { base: home, dir: join(home, '.cache', 'taskmaster') };
}

/**
 * Runs the CommonJS file `file`, compiled with its cache in `where` when there is a usable one.
 * Without one, the code V8 compiled during this run (the functions it ran included) is written
 * at exit, for the next run: the first command after a build decides what the cache holds. The
 * file gets require, module, __filename and __dirname as under Node's loader, but not
 * require.main, require.cache, source maps or a hashbang line, which tm's bundle does not use.
 * Nothing here fails a run: a folder that cannot be made or read, or a cache of someone else,
 * is a run without a cache.
 */
export function runCached(file: string, name: string, where: { base: string; dir: string } | null) {
  // one open for the bytes and the stat: the name is that of the bundle read, not of a later one
  const fd = openSync(file, 'r');
  const { size, mtimeMs } = fstatSync(fd);
  // the bundle is ASCII (the build checks): latin1 gives V8 its one-byte string as it is read,
  // where decoding UTF-8 took a millisecond of the 20 or so a `tm status` costs above the floor
  const source = readFileSync(fd, 'latin1');
  closeSync(fd);
  const cache =
    where === null
      ? null
      : {
          ...where,
          path: join(where.dir, `${name}-${size}-${Math.trunc(mtimeMs)}-${process.arch}.cache`),
        };
  const cachedData = cache === null ? undefined : readOwn(cache.path);
  // the head on a line of its own (lineOffset -1): positions in the bundle are the map's
  const script = new Script(
    `(function (exports, require, module, __filename, __dirname) {\n${source}\n})`,
    { filename: file, lineOffset: -1, ...(cachedData === undefined ? {} : { cachedData }) },
  );
  if (cache !== null && (cachedData === undefined || script.cachedDataRejected)) {
    process.once('exit', () => writeCache(cache, () => script.createCachedData()));
  }
  const run = script.runInThisContext() as (...args: unknown[]) => void;
  const module = { exports: {} };
  run.call(module.exports, module.exports, createRequire(file), module, file, dirname(file));
}

/** Not a symlink, this user's, and writable by nobody else. */
function isOwn(stat: Stats): boolean {
  return !stat.isSymbolicLink() && stat.uid === process.getuid?.() && (stat.mode & 0o022) === 0;
}

/** A cache file of this user, in a folder of this user, that nobody else can write; or undefined. */
function readOwn(path: string): Buffer | undefined {
  let fd: number;
  try {
    // bytecode from a file another user could write would run as this one
    if (!isOwn(lstatSync(dirname(path)))) return undefined;
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    return undefined;
  }
  try {
    const stat = fstatSync(fd);
    return stat.isFile() && isOwn(stat) ? readFileSync(fd) : undefined;
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes the cache whole or not at all (a temp file renamed: tm processes run side by side), in
 * a folder of this user only, then drops all but the KEPT most recent caches. The folders are
 * made (0700) only inside a base that is this user's: under sudo with another user's HOME, root
 * would make folders there that the user could not write.
 */
function writeCache(cache: { base: string; dir: string; path: string }, data: () => Buffer) {
  const temp = join(cache.dir, `.${process.pid}-${Math.random().toString(36).slice(2)}.tmp`);
  let fd: number | null = null;
  let isRenamed = false;
  try {
    const folder = ownFolder(cache.base, cache.dir);
    if (folder === null || !isOwn(folder)) return;
    fd = openSync(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
    // serialized only once there is a file to put it in
    const bytes = data();
    for (let at = 0; at < bytes.length;) at += writeSync(fd, bytes, at);
    renameSync(temp, cache.path);
    isRenamed = true;
    prune(cache.dir);
  } catch {
    // a cache is a convenience: this run just leaves none
  } finally {
    if (fd !== null) closeSync(fd);
    if (fd !== null && !isRenamed) unlinkQuietly(temp);
  }
}

/**
 * `dir`, made (0700) if missing inside `base`, when it and the folders between are folders of
 * this user: its stat, else null.
 */
function ownFolder(base: string, dir: string): Stats | null {
  if (dir !== base) {
    const parent = dirname(dir);
    if (parent === dir || ownFolder(base, parent) === null) return null;
    try {
      mkdirSync(dir, { mode: 0o700 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') return null;
    }
  }
  try {
    const stat = lstatSync(dir);
    return stat.isDirectory() && stat.uid === process.getuid?.() ? stat : null;
  } catch {
    return null;
  }
}

function prune(dir: string): void {
  const now = Date.now();
  const files = readdirSync(dir).map((f) => {
    const path = join(dir, f);
    return { f, path, at: statSync(path, { throwIfNoEntry: false })?.mtimeMs ?? 0 };
  });
  const caches = files.filter(({ f }) => f.endsWith('.cache')).sort((a, b) => b.at - a.at);
  const stale = files.filter(({ f, at }) => f.endsWith('.tmp') && now - at > STALE_TEMP_MS);
  for (const { path } of [...caches.slice(KEPT), ...stale]) unlinkQuietly(path);
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // gone already: another tm pruned it
  }
}
