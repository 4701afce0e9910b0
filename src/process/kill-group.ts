import { readdirSync, readFileSync } from 'node:fs';

/**
 * Sends a signal to a whole process group (the instance and everything it started), so that
 * grandchildren do not outlive a stop. Returns false when the group no longer exists.
 */
export function killGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

/**
 * Which of `pgids` still have a live process. `kill(-pgid, 0)` will not do: it also succeeds for
 * zombies, and an orphaned grandchild stays a zombie until init reaps it (here about once a
 * second), so /proc is read instead, skipping zombies: one pass for all the groups asked about.
 */
export function liveGroups(pgids: ReadonlySet<number>): Set<number> {
  const alive = new Set<number>();
  if (pgids.size === 0) return alive;
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    // no /proc: fall back to the signal test, which errs on the side of waiting
    for (const pgid of pgids) if (killGroupProbe(pgid)) alive.add(pgid);
    return alive;
  }
  for (const entry of entries) {
    if (entry.charCodeAt(0) < 48 || entry.charCodeAt(0) > 57) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      // it exited while we looked
      continue;
    }
    // after the parenthesised command name: state, ppid, pgrp, …
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const pgid = Number(pgrp);
    if (pgids.has(pgid) && state !== 'Z' && state !== 'X') {
      alive.add(pgid);
      if (alive.size === pgids.size) break;
    }
  }
  return alive;
}

/** True while a process of the group is alive (zombies do not count). */
export function groupAlive(pgid: number): boolean {
  return liveGroups(new Set([pgid])).has(pgid);
}

function killGroupProbe(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    // ESRCH: no process in the group
    return false;
  }
}
