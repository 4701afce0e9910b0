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
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Script } from 'node:vm';

/**
 * tm's start-up without compiling: Node 20 compiles every program from its source at each run
 * (a code cache for ES modules came with Node 22), and for tm's bundle that is most of what a
 * `tm status` costs above `node -e 0` (BENCHMARKS.md, "tm latency"). So the bundle is CommonJS,
 * compiled here by V8 with the code it compiled at an earlier run, kept in the user's cache
 * folder. V8 checks a cache against its own version and flags, and the cache's name carries the
 * bundle's hash, so a cache of another build or Node is never taken: one that does not fit is
 * compiled from source, as without a cache, and written again.
 */

/** How many caches are kept (of other builds: a checkout and an installed copy, say). */
const KEPT = 4;

/**
 * `$XDG_CACHE_HOME/taskmaster`, else `~/.cache/taskmaster` (the XDG base directories), or null
 * when neither variable is set (a service account without a home): tm then runs without one.
 */
export function cacheDir(env: NodeJS.ProcessEnv): string | null {
  const xdg = env['XDG_CACHE_HOME'];
  if (xdg !== undefined && xdg.startsWith('/')) return join(xdg, 'taskmaster');
  const home = env['HOME'];
  return home !== undefined && home.startsWith('/') ? join(home, '.cache', 'taskmaster') : null;
}

/**
 * Runs the CommonJS file `file` as Node would, compiled with the cache `name` in `dir` when
 * there is a usable one. Without one, the code V8 compiled during this run (which includes the
 * functions it ran) is written at exit, for the next run. Nothing here fails a run: a folder
 * that cannot be made or read, or a cache of someone else, is a run without a cache.
 */
export function runCached(file: string, name: string, dir: string | null): void {
  // the bundle is ASCII (the build checks): latin1 gives V8 its one-byte string as it is read,
  // where decoding UTF-8 took a millisecond of the 20 a `tm status` costs above `node -e 0`
  const source = readFileSync(file, 'latin1');
  const path = dir === null ? null : join(dir, `${name}.cache`);
  const cachedData = path === null ? undefined : readOwn(path);
  const script = new Script(
    `(function (exports, require, module, __filename, __dirname) { ${source}\n})`,
    cachedData === undefined ? { filename: file } : { filename: file, cachedData },
  );
  if (dir !== null && path !== null && (cachedData === undefined || script.cachedDataRejected)) {
    process.once('exit', () => writeCache(dir, path, () => script.createCachedData()));
  }
  const run = script.runInThisContext() as (...args: unknown[]) => void;
  const module = { exports: {} };
  run.call(module.exports, module.exports, createRequire(file), module, file, dirname(file));
}

/** A cache file of this user that nobody else can write, or undefined. */
function readOwn(path: string): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    return undefined;
  }
  try {
    const stat = fstatSync(fd);
    // bytecode from a file another user could write would run as this one
    if (!stat.isFile() || stat.uid !== process.getuid?.() || (stat.mode & 0o022) !== 0) {
      return undefined;
    }
    return readFileSync(fd);
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes the cache whole or not at all (a temp file renamed: tm processes run side by side), in
 * a folder of this user only, then drops all but the KEPT most recent caches.
 */
function writeCache(dir: string, path: string, data: () => Buffer): void {
  const temp = join(dir, `.${process.pid}.tmp`);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const stat = lstatSync(dir);
    if (!stat.isDirectory() || stat.uid !== process.getuid?.() || (stat.mode & 0o022) !== 0) {
      return;
    }
    writeFileSync(temp, data(), { mode: 0o600, flag: 'wx' });
    renameSync(temp, path);
    prune(dir);
  } catch {
    try {
      unlinkSync(temp);
    } catch {
      // never written
    }
  }
}

function prune(dir: string): void {
  const caches = readdirSync(dir)
    .filter((f) => f.endsWith('.cache'))
    .map((f) => ({ f, at: statSync(join(dir, f), { throwIfNoEntry: false })?.mtimeMs ?? 0 }))
    .sort((a, b) => b.at - a.at);
  for (const { f } of caches.slice(KEPT)) unlinkSync(join(dir, f));
}
