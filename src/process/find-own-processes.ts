import { readdirSync, readFileSync } from 'node:fs';
import { processStartTime } from './identify.js';

/** The variable every child of a daemon carries: the event log that daemon records it in. */
export const OWNER_ENV = 'TASKMASTER_EVENTLOG';

export type OwnProcess = { pid: number; procStart: number; name: string };

/**
 * Processes a daemon on `eventlog` started, found by their environment: group leaders (each
 * instance leads its own group) whose environ names that event log, with the instance name they
 * were given. A daemon killed between a fork and the row that records it leaves such a process
 * with no row; found here at the next start, it is adopted instead of being started twice.
 * Processes whose environ cannot be read (another user's, without root) are not looked at.
 */
export function findOwnProcesses(eventlog: string): OwnProcess[] {
  const mark = `${OWNER_ENV}=${eventlog}`;
  const found: OwnProcess[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    // no /proc: the register is all there is
    return found;
  }
  for (const entry of entries) {
    if (entry.charCodeAt(0) < 48 || entry.charCodeAt(0) > 57) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    let environ: string;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const pgrp = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2];
      if (Number(pgrp) !== pid) continue;
      environ = readFileSync(`/proc/${entry}/environ`, 'utf8');
    } catch {
      // gone while we looked, or not ours to read
      continue;
    }
    const vars = environ.split('\0');
    if (!vars.includes(mark)) continue;
    const name = vars.find((v) => v.startsWith('TASKMASTER_PROCESS_NAME='))?.slice(24);
    const procStart = processStartTime(pid);
    if (name === undefined || procStart === null) continue;
    found.push({ pid, procStart, name });
  }
  return found;
}
