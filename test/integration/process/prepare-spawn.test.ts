import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { ProgramSpec, SpawnFailure } from '../../../src/domain/types.js';
import {
  daemonUmask,
  isSpawnFailure,
  prepareSpawn,
  type PreparedSpawn,
} from '../../../src/process/prepare-spawn.js';
import { makeSpec } from '../../helpers/spec.js';

/** What is checked before a spawn, so that each failure says what is wrong. */

const NOT_EXECUTABLE = fileURLToPath(new URL('../../fixtures/not-executable.txt', import.meta.url));
const ENV = { PATH: '/usr/bin:/bin' };
/** Where sh is on every system. */
const BIN = { PATH: '/bin' };

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tm-prepare-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function executable(file: string): string {
  writeFileSync(file, '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  return file;
}

function prepare(
  spec: Partial<ProgramSpec>,
  env: NodeJS.ProcessEnv = ENV,
  isRoot = true,
): PreparedSpawn | SpawnFailure {
  return prepareSpawn(makeSpec(spec), 'web:0', env, isRoot);
}

function prepared(
  spec: Partial<ProgramSpec>,
  env: NodeJS.ProcessEnv = ENV,
  isRoot = true,
): PreparedSpawn {
  const p = prepare(spec, env, isRoot);
  if (isSpawnFailure(p)) throw new Error(`expected a prepared spawn, got: ${p.message}`);
  return p;
}

describe('prepareSpawn: the working directory', () => {
  it('a missing workingdir is named as such, not as a missing command', () => {
    const dir = join(tempDir(), 'nope');
    expect(prepare({ workingdir: dir, argv: ['sleep', '1'] })).toEqual({
      message: `workingdir does not exist: ${dir}`,
      errno: 'ENOENT',
    });
  });

  it('a workingdir that is a file', () => {
    const file = executable(join(tempDir(), 'file'));
    expect(prepare({ workingdir: file })).toMatchObject({
      message: `workingdir is not a directory: ${file}`,
    });
  });

  it('is checked before the command', () => {
    const dir = join(tempDir(), 'nope');
    expect(prepare({ workingdir: dir, argv: ['/no/such/cmd'] })).toMatchObject({
      message: `workingdir does not exist: ${dir}`,
    });
  });

  it("defaults to the daemon's own", () => {
    expect(prepared({ workingdir: null }).cwd).toBe(process.cwd());
    const dir = tempDir();
    expect(prepared({ workingdir: dir }).cwd).toBe(dir);
  });
});

describe('prepareSpawn: the command', () => {
  it('a path that does not exist', () => {
    expect(prepare({ argv: ['/usr/bin/nope', '-x'] })).toEqual({
      message: 'no such file: /usr/bin/nope',
      errno: 'ENOENT',
    });
  });

  it('a relative path is resolved against the workingdir, not the daemon cwd', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'bin'));
    executable(join(dir, 'run.sh'));
    executable(join(dir, 'bin', 'tool'));
    expect(prepared({ workingdir: dir, argv: ['./run.sh', 'a', 'b'] })).toMatchObject({
      file: join(dir, 'run.sh'),
      args: ['a', 'b'],
      cwd: dir,
    });
    expect(prepared({ workingdir: dir, argv: ['bin/tool'] }).file).toBe(join(dir, 'bin', 'tool'));
    expect(prepare({ workingdir: dir, argv: ['./missing.sh'] })).toEqual({
      message: `no such file: ${join(dir, 'missing.sh')}`,
      errno: 'ENOENT',
    });
  });

  it('a bare name is looked up in PATH, in order', () => {
    const first = tempDir();
    const second = tempDir();
    executable(join(second, 'mytool'));
    const env = { PATH: `/nonexistent:${first}::${second}` };
    expect(prepared({ argv: ['mytool', '--flag'] }, env)).toMatchObject({
      file: join(second, 'mytool'),
      args: ['--flag'],
    });
    executable(join(first, 'mytool'));
    expect(prepared({ argv: ['mytool'] }, env).file).toBe(join(first, 'mytool'));
  });

  it("the program's own PATH is the one searched", () => {
    const dir = tempDir();
    executable(join(dir, 'mytool'));
    expect(prepared({ argv: ['mytool'], env: { PATH: dir } }, { PATH: '/usr/bin' }).file).toBe(
      join(dir, 'mytool'),
    );
  });

  it('a bare name found nowhere in PATH', () => {
    expect(prepare({ argv: ['x'] }, { PATH: tempDir() })).toEqual({
      message: 'command not found in PATH: x',
      errno: 'ENOENT',
    });
  });

  it('a file without execute permission', () => {
    expect(prepare({ argv: [NOT_EXECUTABLE] })).toEqual({
      message: `not executable: ${NOT_EXECUTABLE}`,
      errno: 'EACCES',
    });
  });

  it('in PATH, a non-executable file is skipped for a later executable one, else reported', () => {
    const first = tempDir();
    const second = tempDir();
    writeFileSync(join(first, 'mytool'), 'not a program\n', { mode: 0o644 });
    const env = { PATH: `${first}:${second}` };
    expect(prepare({ argv: ['mytool'] }, env)).toEqual({
      message: `not executable: ${join(first, 'mytool')}`,
      errno: 'EACCES',
    });
    executable(join(second, 'mytool'));
    expect(prepared({ argv: ['mytool'] }, env).file).toBe(join(second, 'mytool'));
  });

  it('a directory as the command', () => {
    const dir = tempDir();
    expect(prepare({ argv: [dir] })).toEqual({
      message: `not executable (not a regular file): ${dir}`,
      errno: 'EACCES',
    });
  });

  it('an empty command', () => {
    expect(prepare({ argv: [] })).toEqual({ message: 'empty command', errno: null });
  });
});

describe('prepareSpawn: the user', () => {
  it('an unknown user', () => {
    expect(prepare({ user: 'no-such-user-tm' })).toEqual({
      message: 'no such user: no-such-user-tm',
      errno: null,
    });
  });

  it('switching to another user needs a root daemon', () => {
    const other = process.getuid!() === 0 ? 'nobody' : 'root';
    expect(prepare({ user: other }, ENV, false)).toEqual({
      message: `cannot run as ${other}: the daemon is not root`,
      errno: 'EPERM',
    });
  });

  it('a non-root daemon may name its own user: there is nothing to switch', () => {
    const self = String(process.getuid!());
    expect(prepared({ user: self }, ENV, false)).toMatchObject({
      uid: process.getuid!(),
    });
  });

  it('as root, sets uid, gid and the login variables of the user', () => {
    const p = prepared({ user: 'nobody' }, { ...ENV, HOME: '/root', USER: 'root' }, true);
    expect(p).toMatchObject({ uid: 65534, gid: 65534 });
    expect(p.env).toMatchObject({ HOME: '/nonexistent', USER: 'nobody', LOGNAME: 'nobody' });
  });

  it('without a user, no uid or gid is set', () => {
    expect(prepared({ user: null })).toMatchObject({ uid: null, gid: null });
  });
});

describe('prepareSpawn: umask', () => {
  it('wraps the command in /bin/sh, which sets the octal umask and execs it', () => {
    const umask = daemonUmask() === 0o27 ? 0o77 : 0o27;
    const text = umask.toString(8).padStart(3, '0');
    expect(prepared({ argv: ['sh', '-c', 'echo "$1"', 'a b'], umask }, BIN)).toMatchObject({
      file: '/bin/sh',
      args: ['-c', 'umask "$0" && exec "$@"', text, '/bin/sh', '-c', 'echo "$1"', 'a b'],
    });
  });

  // issue 10: one exec fewer on each start and restart, for the usual `umask: 022`
  it("the daemon's own umask needs no wrapper: the child inherits it", () => {
    const own = daemonUmask();
    expect(own).toBe(
      parseInt(/^Umask:\s+(\d+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]!, 8),
    );
    expect(prepared({ argv: ['sh', '-c', 'true'], umask: own }, BIN)).toMatchObject({
      file: '/bin/sh',
      args: ['-c', 'true'],
    });
  });

  it.each(
    [
      [0o0, '000'],
      [0o7, '007'],
      [0o27, '027'],
      [0o777, '777'],
      // the daemon's own needs no wrapper (below)
    ].filter(([umask]) => umask !== daemonUmask()) as [number, string][],
  )('umask %o is passed as %s', (umask, text) => {
    expect(prepared({ umask }).args[2]).toBe(text);
  });

  it('without a umask, the command is run directly', () => {
    expect(prepared({ argv: ['sh', '-c', 'true'], umask: null }, BIN)).toMatchObject({
      file: '/bin/sh',
      args: ['-c', 'true'],
    });
  });
});

describe('prepareSpawn: the environment', () => {
  it('daemon env < user login variables < program env < TASKMASTER_* variables', () => {
    const daemonEnv = {
      PATH: '/usr/bin:/bin',
      ONLY_DAEMON: 'daemon',
      HOME: 'daemon',
      USER: 'daemon',
      LOGNAME: 'daemon',
      TASKMASTER_PROGRAM: 'daemon',
      UNSET: undefined,
    };
    const p = prepared(
      {
        name: 'web',
        user: 'nobody',
        env: { HOME: '/from/spec', ANSWER: '42', TASKMASTER_PROCESS_NAME: 'spec' },
      },
      daemonEnv,
      true,
    );
    expect(p.env).toEqual({
      PATH: '/usr/bin:/bin',
      ONLY_DAEMON: 'daemon',
      HOME: '/from/spec',
      USER: 'nobody',
      LOGNAME: 'nobody',
      ANSWER: '42',
      TASKMASTER_PROGRAM: 'web',
      TASKMASTER_PROCESS_NAME: 'web:0',
    });
  });

  it('does not change the env object it was given', () => {
    const daemonEnv = { PATH: '/usr/bin:/bin' };
    prepared({ env: { A: 'b' } }, daemonEnv);
    expect(daemonEnv).toEqual({ PATH: '/usr/bin:/bin' });
  });
});
