import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ProgramSpec, SpawnFailure } from '../domain/types.js';
import { resolveUser } from './resolve-user.js';

/** Everything `spawn` needs, checked beforehand so that each failure has a precise message. */
export type PreparedSpawn = {
  file: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  uid: number | null;
  gid: number | null;
};

/**
 * Checks what Node's spawn would report as a bare ENOENT or EACCES (a bad cwd looks like a
 * missing binary there, as execa's fixCwdError notes) and builds the argv. A umask other than
 * the daemon's is set by a `/bin/sh` wrapper in the child: changing the daemon's own umask
 * around spawn would race with the daemon's own files.
 */
export function prepareSpawn(
  spec: ProgramSpec,
  instance: string,
  daemonEnv: NodeJS.ProcessEnv = process.env,
  isRoot = process.getuid?.() === 0,
): PreparedSpawn | SpawnFailure {
  const cwd = spec.workingdir ?? process.cwd();
  const dirProblem = checkDirectory(cwd);
  if (dirProblem !== null) return fail(`workingdir ${dirProblem}: ${cwd}`, 'ENOENT');

  let uid: number | null = null;
  let gid: number | null = null;
  const extraEnv: Record<string, string> = {};
  if (spec.user !== null) {
    const user = resolveUser(spec.user);
    if (user === null) return fail(`no such user: ${spec.user}`, null);
    const self = process.getuid?.();
    if (!isRoot && self !== user.uid) {
      return fail(`cannot run as ${spec.user}: the daemon is not root`, 'EPERM');
    }
    uid = user.uid;
    gid = user.gid;
    Object.assign(extraEnv, { HOME: user.home, USER: user.name, LOGNAME: user.name });
  }

  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(daemonEnv)) if (v !== undefined) env[k] = v;
  Object.assign(env, extraEnv, spec.env, {
    TASKMASTER_PROCESS_NAME: instance,
    TASKMASTER_PROGRAM: spec.name,
  });

  const [command, ...args] = spec.argv;
  if (command === undefined) return fail('empty command', null);
  const found = findExecutable(command, cwd, env.PATH ?? '/usr/local/bin:/usr/bin:/bin');
  if (typeof found !== 'string') return found;

  // the daemon's own umask is what the child inherits: no wrapper, no second exec
  if (spec.umask === null || spec.umask === daemonUmask()) {
    return { file: found, args, cwd, env, uid, gid };
  }
  const mask = spec.umask.toString(8).padStart(3, '0');
  return {
    file: '/bin/sh',
    args: ['-c', 'umask "$0" && exec "$@"', mask, found, ...args],
    cwd,
    env,
    uid,
    gid,
  };
}

let ownUmask: number | null | undefined;

/**
 * The daemon's umask, read once from /proc/self/status (null without it: every umask is then
 * set by the wrapper). `process.umask()` cannot read it: it sets 0 and then the old value back,
 * and a file the daemon's threads create in between would get mode 0666.
 */
export function daemonUmask(): number | null {
  if (ownUmask === undefined) {
    try {
      const field = /^Umask:\s+([0-7]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
      ownUmask = field === undefined ? null : parseInt(field, 8);
    } catch {
      // no /proc: the wrapper sets every umask
      ownUmask = null;
    }
  }
  return ownUmask;
}

export function isSpawnFailure(x: PreparedSpawn | SpawnFailure): x is SpawnFailure {
  return 'message' in x;
}

function fail(message: string, errno: string | null): SpawnFailure {
  return { message, errno };
}

function checkDirectory(dir: string): string | null {
  try {
    return statSync(dir).isDirectory() ? null : 'is not a directory';
  } catch {
    return 'does not exist';
  }
}

/** A command with a slash is a path (relative to the workingdir); otherwise it is looked up in PATH. */
function findExecutable(command: string, cwd: string, searchPath: string): string | SpawnFailure {
  if (command.includes('/')) {
    const file = resolve(cwd, command);
    return checkExecutable(file) ?? file;
  }
  let firstProblem: SpawnFailure | null = null;
  for (const dir of searchPath.split(':')) {
    if (dir === '') continue;
    const file = resolve(cwd, dir, command);
    const problem = checkExecutable(file);
    if (problem === null) return file;
    if (problem.errno !== 'ENOENT') firstProblem ??= problem;
  }
  return firstProblem ?? fail(`command not found in PATH: ${command}`, 'ENOENT');
}

function checkExecutable(file: string): SpawnFailure | null {
  let isFile: boolean;
  try {
    // without a throw for the usual miss: a PATH of ten folders is searched at every start, and
    // an exception (its stack trace, its message) costs far more than the stat
    const stats = statSync(file, { throwIfNoEntry: false });
    if (stats === undefined) return fail(`no such file: ${file}`, 'ENOENT');
    isFile = stats.isFile();
  } catch {
    // ENOTDIR, EACCES on a folder of the path: not there for us either
    return fail(`no such file: ${file}`, 'ENOENT');
  }
  if (!isFile) return fail(`not executable (not a regular file): ${file}`, 'EACCES');
  try {
    accessSync(file, constants.X_OK);
  } catch {
    return fail(`not executable: ${file}`, 'EACCES');
  }
  return null;
}
