import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { TaskmasterError } from '../domain/errors.js';

/**
 * Takes the pid file, refusing when it names a taskmasterd that is still alive: a second daemon
 * on the same config would adopt or start the first one's processes a second time.
 */
export function claimPidfile(file: string): void {
  const other = readPid(file);
  if (other !== null && other !== process.pid && isTaskmasterd(other)) {
    throw new TaskmasterError(
      'ALREADY_STARTED',
      `taskmasterd is already running with pid ${other} (pid file ${file})`,
      { hint: `stop it first (kill ${other}), or give this daemon another daemon.pidfile` },
    );
  }
  // write then rename, so a reader never sees a half-written pid
  writeFileSync(`${file}.tmp`, `${process.pid}\n`);
  renameSync(`${file}.tmp`, file);
}

/** Removes the pid file if it is still ours. */
export function releasePidfile(file: string): void {
  if (readPid(file) === process.pid) rmSync(file, { force: true });
}

function readPid(file: string): number | null {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    // no pid file (or unreadable): nobody claims it
    return null;
  }
}

function isTaskmasterd(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('taskmasterd');
  } catch {
    // no such process
    return false;
  }
}
