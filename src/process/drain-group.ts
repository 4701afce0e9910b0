import { liveGroups, killGroup } from './kill-group.js';

const DRAIN_POLL_MS = 25;

type Pending = { deadline: number; isFirstLook: boolean; done: (leftovers: boolean) => void };
const pending = new Map<number, Pending>();
let timer: NodeJS.Timeout | NodeJS.Immediate | null = null;

/**
 * The leader of a group is gone; whatever it left in the group would be an orphan. It gets up to
 * `graceMs` to finish (it got the same stop signal), then SIGKILL. `done(leftovers)` says whether
 * a live process was left behind.
 *
 * The usual case costs one syscall: `kill(-pgid, 0)` fails with ESRCH when nothing at all is left
 * in the group. Only when something is (a live process, or an orphan's zombie that init has not
 * reaped yet — kill(2) counts those) is /proc read, once per tick for every group waiting, never
 * once per exit: a crash storm among a thousand processes must not become a thousand scans.
 */
export function drainGroup(
  pgid: number,
  graceMs: number,
  done: (leftovers: boolean) => void,
): void {
  if (!hasAnyMember(pgid)) {
    done(false);
    return;
  }
  const previous = pending.get(pgid);
  pending.set(pgid, { deadline: Date.now() + graceMs, isFirstLook: true, done });
  // one drain per group: a second leader of the same pgid cannot exist while the first waits
  previous?.done(true);
  if (timer === null) timer = setImmediate(scan);
}

function scan(): void {
  timer = null;
  const alive = liveGroups(new Set(pending.keys()));
  const now = Date.now();
  for (const [pgid, p] of pending) {
    if (!alive.has(pgid)) {
      pending.delete(pgid);
      // nothing but zombies at the first look: nothing was left behind alive
      p.done(!p.isFirstLook);
      continue;
    }
    p.isFirstLook = false;
    if (now >= p.deadline) {
      pending.delete(pgid);
      try {
        killGroup(pgid, 'SIGKILL');
      } catch {
        // EPERM: a leftover that changed its user; nothing more this daemon can do to it
      }
      p.done(true);
    }
  }
  if (pending.size > 0) timer = setTimeout(scan, DRAIN_POLL_MS);
}

function hasAnyMember(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    // EPERM: a member exists that we may not signal; only ESRCH means an empty group
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}
