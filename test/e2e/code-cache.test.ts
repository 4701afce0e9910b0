import {
  chmodSync,
  chownSync,
  copyFileSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { Sandbox, program, programs } from '../helpers/daemon-process.js';
import { ownTempDir } from '../helpers/processes.js';
import { TM, runTm, startDaemon } from '../helpers/tm-process.js';
import { VERSION } from '../../src/domain/version.js';

/**
 * tm runs its bundle with V8's code cache, kept in the user's cache folder
 * (src/bin/code-cache.ts): written by a run that had none, taken by the next, never taken from
 * a file someone else could have written, and never a reason for a command to fail.
 */

/** A folder to run tm in (no daemon: `--version`), and a cache base of its own. */
function fresh() {
  const box = Sandbox.create(programs(program('web')));
  const home = ownTempDir('tm-cache-');
  return { box, home, dir: join(home, 'taskmaster') };
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

/** The path of the one cache a first `tm --version` wrote. */
async function firstCache(box: Sandbox, home: string, dir: string): Promise<string> {
  await tm(box, ['--version'], home);
  const written = caches(dir);
  expect(written).toHaveLength(1);
  return join(dir, written[0]!);
}

describe('the code cache of tm', () => {
  it('is written by the first run, 0600 in a 0700 folder, and taken by the next one as it is', async () => {
    const { box, home, dir } = fresh();
    const path = await firstCache(box, home, dir);
    expect(path.slice(dir.length + 1)).toMatch(/^tm-[0-9a-f]{16}-.+\.cache$/);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const first = statSync(path);
    expect(first.mode & 0o777).toBe(0o600);
    expect(first.size).toBeGreaterThan(10_000);
    expect((await tm(box, ['--version'], home)).stdout).toMatch(/^tm \d+\.\d+\.\d+\n$/);
    // taken, not written again: the same file
    const second = statSync(path);
    expect([second.ino, second.mtimeMs]).toEqual([first.ino, first.mtimeMs]);
    expect(readdirSync(dir)).toEqual([path.slice(dir.length + 1)]);
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
      const args = ['-c', 'config.yaml', '--port', String(port), 'status'];
      const { stdout } = await tm(box, args, home);
      expect(stdout).toMatch(/^web:0\s+running\s+pid \d+.*\nweb:1\s+running\s+pid \d+/);
    }
  });

  it('a bundle changed since its launcher was built is not run with the old one’s cache', async () => {
    // V8 takes a cache for any source of the same length and runs the code it holds
    const { box, home, dir } = fresh();
    const bin = ownTempDir('tm-bin-');
    for (const f of ['tm.cjs', 'tm-client.cjs']) copyFileSync(join(dirname(TM), f), join(bin, f));
    const run = async () => {
      const result = await runTm(box, ['--version'], {
        env: { XDG_CACHE_HOME: home, HOME: undefined },
        tm: join(bin, 'tm.cjs'),
      });
      expect(result, result.stderr).toMatchObject({ code: 0, signal: null });
      return result.stdout;
    };
    expect(await run()).toBe(`tm ${VERSION}\n`);
    const client = join(bin, 'tm-client.cjs');
    const edited = readFileSync(client, 'latin1').replace(`"${VERSION}"`, '"9.9.9"');
    expect(VERSION).toMatch(/^\d\.\d\.\d$/);
    writeFileSync(client, edited, 'latin1');
    expect(await run()).toBe('tm 9.9.9\n');
    expect(caches(dir)).toHaveLength(2);
  });

  it('a cache that is not V8’s is compiled around and written again', async () => {
    const { box, home, dir } = fresh();
    const path = await firstCache(box, home, dir);
    writeFileSync(path, Buffer.alloc(4096, 0x5a));
    expect((await tm(box, ['--version'], home)).stdout).toMatch(/^tm /);
    expect(readFileSync(path).equals(Buffer.alloc(4096, 0x5a))).toBe(false);
  });

  it('a cache that others can write, or a symlink to one, is not taken but replaced', async () => {
    const { box, home, dir } = fresh();
    const path = await firstCache(box, home, dir);
    // the right bytes, but the group could have put others there
    chmodSync(path, 0o620);
    const before = statSync(path);
    await tm(box, ['--version'], home);
    const after = statSync(path);
    expect(after.ino).not.toBe(before.ino);
    expect(after.mode & 0o777).toBe(0o600);
    // a symlink to a good cache of this user: who made the link is not known
    const elsewhere = join(home, 'elsewhere.cache');
    copyFileSync(path, elsewhere);
    chmodSync(elsewhere, 0o600);
    rmSync(path);
    symlinkSync(elsewhere, path);
    await tm(box, ['--version'], home);
    expect(lstatSync(path).isFile()).toBe(true);
    expect(lstatSync(path).mode & 0o777).toBe(0o600);
  });

  it('no cache goes into a folder others can write, a symlinked folder, or a base of another user', async () => {
    const { box, home, dir } = fresh();
    mkdirSync(dir, { mode: 0o777 });
    chmodSync(dir, 0o777);
    await tm(box, ['--version'], home);
    expect(readdirSync(dir)).toEqual([]);

    const linked = fresh();
    const real = join(linked.home, 'real');
    mkdirSync(real, { mode: 0o700 });
    symlinkSync(real, linked.dir);
    await tm(linked.box, ['--version'], linked.home);
    expect(readdirSync(real)).toEqual([]);

    // as under sudo with the user's HOME: root makes no folder there that the user cannot write
    const theirs = fresh();
    chownSync(theirs.home, 65534, 65534);
    await tm(theirs.box, ['--version'], theirs.home);
    expect(readdirSync(theirs.home)).toEqual([]);
  });

  it('keeps the four most recent caches', async () => {
    const { box, home, dir } = fresh();
    mkdirSync(dir, { mode: 0o700 });
    const old = ['a', 'b', 'c', 'd'].map((x, i) => {
      const name = `tm-${x.repeat(16)}-old.cache`;
      writeFileSync(join(dir, name), 'x', { mode: 0o600 });
      // a older than b older than c older than d, all older than now
      utimesSync(join(dir, name), 1_000_000 + i, 1_000_000 + i);
      return name;
    });
    await tm(box, ['--version'], home);
    const left = caches(dir);
    expect(left.sort()).toEqual([...old.slice(1), ...left.filter((f) => !old.includes(f))].sort());
    expect(left).toHaveLength(4);
  });

  it('runs without one when there is no cache folder to be had', async () => {
    const { box, home } = fresh();
    // neither XDG_CACHE_HOME nor HOME
    expect((await tm(box, ['--version'], undefined)).stdout).toMatch(/^tm /);
    // a cache folder under a file: it cannot be made
    writeFileSync(join(home, 'taskmaster'), 'not a folder');
    expect((await tm(box, ['--version'], home)).stdout).toMatch(/^tm /);
    expect(readdirSync(home)).toEqual(['taskmaster']);
  });
});
