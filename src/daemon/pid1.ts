import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { constants as os } from 'node:os';
import * as path from 'node:path';

/**
 * taskmasterd as PID 1: the entrypoint of a container, or of `unshare --pid --fork`. PID 1 is
 * where every orphan of the namespace is reparented (a program's background child, what a group
 * kill leaves, a double fork), and PID 1 must reap them or their zombies pile up (146 after a
 * minute with three programs that leave children behind). Node cannot do it: `waitpid(-1)`
 * beside libuv would steal the exit statuses of the daemon's own children, and Node 20 has no
 * execve to hand PID 1 over. So the daemon runs itself again under tini, a tiny init, as a
 * subreaper (`-s`): the orphans of its descendants are reparented to tini, which reaps them;
 * this process stays PID 1 only to pass signals on and to exit with the daemon's status.
 */

/** Set in the environment of the daemon run under tini, so that it never runs tini again. */
export const UNDER_INIT = 'TASKMASTERD_UNDER_INIT';

/** What `taskmasterd` in the foreground acts on, each passed on to the daemon (docs/signals.md). */
const FORWARDED = ['SIGTERM', 'SIGINT', 'SIGQUIT', 'SIGHUP', 'SIGUSR2'] as const;

export type InitPlan =
  /** Not PID 1 (or already under tini): run as usual. */
  | { kind: 'none' }
  /** PID 1 with tini at hand: run the daemon under it. */
  | { kind: 'tini'; tini: string }
  /** PID 1 without tini: run anyway, and say that orphans will not be reaped. */
  | { kind: 'alone'; warning: string };

export function initPlan(pid: number, env: Readonly<Record<string, string | undefined>>): InitPlan {
  if (pid !== 1 || env[UNDER_INIT] !== undefined) return { kind: 'none' };
  const tini = findExecutable('tini', env.PATH ?? '');
  if (tini !== null) return { kind: 'tini', tini };
  return {
    kind: 'alone',
    warning:
      'running as PID 1 without tini: the orphaned processes of the programs will not be ' +
      'reaped, and their zombies will pile up; install tini (apt-get install tini, apk add ' +
      'tini), which taskmasterd then runs itself under, or start the container with an init ' +
      '(docker run --init)',
  };
}

/**
 * Runs this same command again under `tini -s`, passes it the signals the daemon acts on, and
 * resolves with its exit status (128 + the signal's number if a signal ended it, as a shell says).
 */
export function runUnderTini(tini: string): Promise<number> {
  const command = [
    process.execPath,
    ...process.execArgv,
    process.argv[1]!,
    ...process.argv.slice(2),
  ];
  const child = spawn(tini, ['-s', '--', ...command], {
    stdio: 'inherit',
    env: { ...process.env, [UNDER_INIT]: '1' },
  });
  // PID 1 gets no signal it has no handler for: without these, SIGTERM would do nothing at all
  const handlers = FORWARDED.map((signal) => {
    const pass = () => {
      child.kill(signal);
    };
    process.on(signal, pass);
    return () => process.off(signal, pass);
  });
  return new Promise((resolve) => {
    child.once('error', (error) => {
      process.stderr.write(`taskmasterd: cannot run ${tini}: ${error.message}\n`);
      resolve(1);
    });
    child.once('exit', (code, signal) => {
      for (const off of handlers) off();
      resolve(code ?? 128 + (signal === null ? 0 : os.signals[signal]));
    });
  });
}

function findExecutable(name: string, searchPath: string): string | null {
  for (const dir of searchPath.split(path.delimiter)) {
    if (dir === '') continue;
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this folder: look in the next one
    }
  }
  return null;
}
