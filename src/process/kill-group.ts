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
 * True while a process of the group is alive. `kill(-pgid, 0)` will not do: it also succeeds
 * for zombies, and an orphaned grandchild stays a zombie until init reaps it (here about once a
 * second), so /proc is read instead, skipping zombies.
 */
export function groupAlive(pgid: number): boolean {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    // no /proc: fall back to the signal test, which errs on the side of waiting
    return killGroupProbe(pgid);
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
    if (Number(pgrp) === pgid && state !== 'Z' && state !== 'X') return true;
  }
  return false;
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
