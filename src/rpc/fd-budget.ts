import { readdirSync, readFileSync } from 'node:fs';

/**
 * How many file descriptors the daemon has left, read from /proc (Linux). The daemon needs some
 * of its own at any moment — two output files and a pipe per spawn, its event log, /proc reads —
 * and a client connection is one more: the server refuses a client rather than let clients
 * take the last ones (issue 7: 40 clients under `ulimit -n 64` sent 100 restarts to `fatal`).
 */

/** The soft "Max open files" of a /proc/PID/limits text; null when unlimited or not there. */
export function parseFileLimit(limits: string): number | null {
  const m = /^Max open files\s+(\d+|unlimited)\s/m.exec(limits);
  if (m === null || m[1] === 'unlimited') return null;
  return Number(m[1]);
}

export type FdUse = { open: number; limit: number };

/**
 * Descriptors open in this process and its soft RLIMIT_NOFILE, read now (a `prlimit` from
 * outside is seen at once); null where /proc cannot tell (not Linux), and then nothing is
 * refused on this ground.
 */
export function fdUse(): FdUse | null {
  let limit: number | null;
  try {
    limit = parseFileLimit(readFileSync('/proc/self/limits', 'utf8'));
  } catch (error) {
    // not even one descriptor to read a file with: none left at all
    if (isExhausted(error)) return { open: lastLimit ?? 0, limit: lastLimit ?? 0 };
    return null;
  }
  if (limit === null) return null;
  lastLimit = limit;
  try {
    // the directory being listed is itself one of the descriptors it lists
    return { open: readdirSync('/proc/self/fd').length - 1, limit };
  } catch (error) {
    if (isExhausted(error)) return { open: limit, limit };
    return null;
  }
}

let lastLimit: number | null = null;

function isExhausted(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'EMFILE' || code === 'ENFILE';
}

/**
 * The descriptors kept for the daemon itself: `reserve`, but never more than half the limit, so
 * that a small limit still lets a few clients in.
 */
export function fdReserve(limit: number, reserve: number): number {
  return Math.min(reserve, Math.floor(limit / 2));
}
