import {
  chmodSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { Sandbox, program, programs } from '../helpers/daemon-process.js';
import { ownTempDir } from '../helpers/processes.js';
import { runTm, startDaemon } from '../helpers/tm-process.js';

/**
 * tm runs its bundle with V8's code cache, kept in the user's cache folder
 * (src/bin/code-cache.ts): written by a run that had none, taken by the next, never taken from
 * a file someone else could have written, and never a reason for a command to fail.
 */

/** A folder to run tm in: no daemon (`--version`). */
function sandbox() {
  return Sandbox.create(programs(program('web')));
}

/** `tm ARGS…` with XDG_CACHE_HOME (and no HOME) as given; it must succeed. */
async function tm(box: Sandbox, args: string[], cacheHome: string | undefined) {
  const result = await runTm(box, args, { env: { XDG_CACHE_HOME: cacheHome, HOME: undefined } });
  expect(result, result.stderr).toMatchObject({ code: 0, signal: null });
  return result;
}

function caches(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.endsWith('.cache'));
}

describe('the code cache of tm', () => {
  it('is written by the first run, 0600 in a 0700 folder, and taken by the next one as it is', async () => {
    const box = sandbox();
    const home = ownTempDir('tm-cache-');
    const dir = join(home, 'taskmaster');
    expect((await tm(box, ['--version'], home)).stdout).toMatch(/^tm \d+\.\d+\.\d+\n$/);
    const [file] = caches(dir);
    expect(file).toMatch(/^tm-[0-9a-f]{16}-.+\.cache$/);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const first = statSync(join(dir, file!));
    expect(first.mode & 0o777).toBe(0o600);
    expect(first.size).toBeGreaterThan(10_000);
    await tm(box, ['--version'], home);
    // taken, not written again: the same file
    const second = statSync(join(dir, file!));
    expect([second.ino, second.mtimeMs]).toEqual([first.ino, first.mtimeMs]);
    expect(readdirSync(dir)).toEqual([file]);
  });

  it('serves commands against a daemon, from a cache another command wrote', async () => {
    const box = Sandbox.create(programs(program('web', 'numprocs: 2')));
    const { daemon, port } = await startDaemon(box);
    onTestFinished(async () => {
      if (daemon.isRunning) await box.stop(daemon);
    });
    await daemon.waitRunning('web:1');
    const home = ownTempDir('tm-cache-');
    await tm(box, ['--version'], home);
    for (let i = 0; i < 2; i++) {
      const { stdout } = await tm(
        box,
        ['-c', 'config.yaml', '--port', String(port), 'status'],
        home,
      );
      expect(stdout).toMatch(/^web:0\s+running\s+pid \d+.*\nweb:1\s+running\s+pid \d+/);
    }
  });

  it('a cache that is not V8’s is compiled around and written again', async () => {
    const box = sandbox();
    const home = ownTempDir('tm-cache-');
    const dir = join(home, 'taskmaster');
    await tm(box, ['--version'], home);
    const [file] = caches(dir);
    const path = join(dir, file!);
    writeFileSync(path, Buffer.alloc(4096, 0x5a));
    expect((await tm(box, ['--version'], home)).stdout).toMatch(/^tm /);
    expect(readFileSync(path).equals(Buffer.alloc(4096, 0x5a))).toBe(false);
  });

  it('a cache that others can write is not taken but replaced; a folder others can write gets none', async () => {
    const box = sandbox();
    const home = ownTempDir('tm-cache-');
    const dir = join(home, 'taskmaster');
    await tm(box, ['--version'], home);
    const [file] = caches(dir);
    const path = join(dir, file!);
    // the right bytes, but the group could have put others there
    chmodSync(path, 0o620);
    const before = statSync(path);
    await tm(box, ['--version'], home);
    const after = statSync(path);
    expect(after.ino).not.toBe(before.ino);
    expect(after.mode & 0o777).toBe(0o600);

    const open = ownTempDir('tm-cache-');
    mkdirSync(join(open, 'taskmaster'), { mode: 0o777 });
    chmodSync(join(open, 'taskmaster'), 0o777);
    await tm(box, ['--version'], open);
    expect(readdirSync(join(open, 'taskmaster'))).toEqual([]);
  });

  it('keeps the four most recent caches', async () => {
    const box = sandbox();
    const home = ownTempDir('tm-cache-');
    const dir = join(home, 'taskmaster');
    mkdirSync(dir, { mode: 0o700 });
    const old = ['a', 'b', 'c', 'd'].map((x, i) => {
      const path = join(dir, `tm-${x.repeat(16)}-old.cache`);
      writeFileSync(path, 'x', { mode: 0o600 });
      // a older than b older than c older than d, all older than now
      utimesSync(path, 1_000_000 + i, 1_000_000 + i);
      return path;
    });
    await tm(box, ['--version'], home);
    const left = caches(dir);
    expect(left).toHaveLength(4);
    expect(left).not.toContain(old[0]!.slice(dir.length + 1));
    expect(left.filter((f) => !f.endsWith('-old.cache'))).toHaveLength(1);
  });

  it('runs without one when there is no cache folder to be had', async () => {
    const box = sandbox();
    // neither XDG_CACHE_HOME nor HOME
    expect((await tm(box, ['--version'], undefined)).stdout).toMatch(/^tm /);
    // a cache folder under a file: it cannot be made
    const home = ownTempDir('tm-cache-');
    writeFileSync(join(home, 'taskmaster'), 'not a folder');
    expect((await tm(box, ['--version'], home)).stdout).toMatch(/^tm /);
    expect(readdirSync(home)).toEqual(['taskmaster']);
  });
});
