import type { ExitInfo } from '../domain/types.js';
import { isSameProcess } from './identify.js';
import { drainGroup } from './drain-group.js';

const WATCH_POLL_MS = 100;

/**
 * Watches a process that is not our child (adopted from a previous daemon run). Node has no
 * pidfd and `kill(pid, 0)` succeeds on zombies and reused pids, so the process is polled in
 * /proc by pid and start time. Its exit status belongs to its real parent: it is reported as
 * unknown (no code, no signal), which the machine treats as unexpected.
 */
export function watchProcess(
  pid: number,
  procStart: number,
  handlers: { exited: (exit: ExitInfo, leftovers: boolean) => void; drainMs: () => number },
): void {
  const check = () => {
    if (isSameProcess(pid, procStart)) {
      setTimeout(check, WATCH_POLL_MS);
      return;
    }
    drainGroup(pid, handlers.drainMs(), (leftovers) =>
      handlers.exited({ pid, code: null, signal: null }, leftovers),
    );
  };
  check();
}
