import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import type { ExitInfo, SpawnFailure } from '../domain/types.js';
import { drainGroup } from './drain-group.js';
import type { PreparedSpawn } from './prepare-spawn.js';

export type ProcessHandlers = {
  /**
   * Called synchronously, the moment `spawn()` returns a pid: before anything else can run, so
   * that the process is on record before a daemon killed at any later instant forgets it.
   */
  spawned: (pid: number) => void;
  spawnFailed: (failure: SpawnFailure) => void;
  /** After the process and what was left of its group are gone. */
  exited: (exit: ExitInfo, leftovers: boolean) => void;
  /** How long the rest of the group may take to go once the leader has exited (ms). */
  drainMs: () => number;
};

/**
 * Starts one prepared process in its own session and process group (`detached`), with its
 * stdout/stderr opened here and handed over as descriptors: the child writes its output
 * itself, costs the daemon nothing, and keeps writing if the daemon dies. Every outcome comes
 * back through `handlers`, never as a throw: `spawned` at once, failures and the exit later.
 */
export function spawnProcess(
  prepared: PreparedSpawn,
  output: { stdout: string | null; stderr: string | null },
  handlers: ProcessHandlers,
): void {
  const fds: number[] = [];
  let stdio: ['ignore', number | 'ignore', number | 'ignore'];
  try {
    const out = output.stdout === null ? 'ignore' : openAppend(output.stdout, fds);
    const err =
      output.stderr === null
        ? 'ignore'
        : output.stderr === output.stdout
          ? out
          : openAppend(output.stderr, fds);
    stdio = ['ignore', out, err];
  } catch (error) {
    for (const fd of fds) closeSync(fd);
    const e = error as NodeJS.ErrnoException;
    const failure = {
      message: `cannot open ${e.path ?? 'log file'}: ${describeErrno(e)}`,
      errno: e.code ?? null,
    };
    setImmediate(() => handlers.spawnFailed(failure));
    return;
  }

  let child: ChildProcess;
  try {
    child = spawn(prepared.file, prepared.args, {
      cwd: prepared.cwd,
      env: prepared.env,
      stdio,
      detached: true,
      ...(prepared.uid === null ? {} : { uid: prepared.uid }),
      ...(prepared.gid === null ? {} : { gid: prepared.gid }),
    });
  } catch (error) {
    // Node throws at once for what it cannot even try (a uid out of range, a NUL in an argument)
    const e = error as NodeJS.ErrnoException;
    const failure = {
      message: `cannot spawn ${prepared.file}: ${e.message}`,
      errno: e.code ?? null,
    };
    setImmediate(() => handlers.spawnFailed(failure));
    return;
  } finally {
    // the child holds its own copies; ours would only keep the files open
    for (const fd of fds) closeSync(fd);
  }

  // a pid means fork and exec succeeded (libuv reports a failed exec from spawn() itself)
  if (child.pid !== undefined) handlers.spawned(child.pid);
  child.once('error', (error: NodeJS.ErrnoException) => {
    // 'error' without a pid is a failed spawn; with one it is a failed kill, which the exit follows
    if (child.pid !== undefined) return;
    handlers.spawnFailed({
      message: `cannot spawn ${prepared.file}: ${error.code ?? error.message}`,
      errno: error.code ?? null,
    });
  });
  child.once('exit', (code, signal) => {
    const pid = child.pid!;
    const exit: ExitInfo = { pid, code, signal };
    drainGroup(pid, handlers.drainMs(), (leftovers) => handlers.exited(exit, leftovers));
  });
}

function openAppend(file: string, fds: number[]): number {
  const fd = openSync(file, 'a');
  fds.push(fd);
  return fd;
}

function describeErrno(e: NodeJS.ErrnoException): string {
  if (e.code === 'EMFILE' || e.code === 'ENFILE') return `${e.code} (too many open files)`;
  return e.code ?? e.message;
}
