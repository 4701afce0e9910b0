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

/** Clock ticks a second of /proc's times (USER_HZ): 100 on every Linux Node runs on. */
const TICKS_PER_SECOND = 100;
let bootTimeMs: number | null | undefined;

/**
 * When a process started (epoch ms), from its start time in ticks since boot and the boot time
 * (`btime` of /proc/stat); null without /proc. An adopted process's uptime counts from here.
 */
export function startTimeToEpochMs(startTicks: number): number | null {
  if (bootTimeMs === undefined) {
    try {
      const btime = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1];
      bootTimeMs = btime === undefined ? null : Number(btime) * 1000;
    } catch {
      // no /proc: the adoption's own time stands in for the start
      bootTimeMs = null;
    }
  }
  return bootTimeMs === null ? null : bootTimeMs + (startTicks * 1000) / TICKS_PER_SECOND;
}
