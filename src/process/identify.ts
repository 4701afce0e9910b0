import { readFileSync } from 'node:fs';

/**
 * A process's start time in clock ticks since boot (field 22 of /proc/PID/stat). A pid and its
 * start time name one process for good: a reused pid has another start time. Null if it is gone.
 */
export function processStartTime(pid: number): number | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    // no such process (ENOENT) or it vanished while we read: either way, not there
    return null;
  }
  // the command name (field 2) is in parentheses and may itself hold spaces or parentheses
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state); a zombie has exited already and is no one's to adopt
  if (fields[0] === 'Z' || fields[0] === 'X') return null;
  const start = Number(fields[19]);
  return Number.isFinite(start) ? start : null;
}

/** True when the process `pid` is alive and is the one that started at `startTime`. */
export function isSameProcess(pid: number, startTime: number): boolean {
  return processStartTime(pid) === startTime;
}

/** This boot of the machine (a random id the kernel draws at boot), or null without /proc. */
export function bootId(): string | null {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    // no /proc: processes from before a restart of the daemon cannot be told apart safely
    return null;
  }
}
