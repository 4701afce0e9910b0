/**
 * Sends a signal to a whole process group (the instance and everything it started), so that
 * grandchildren do not outlive a stop. Returns false when the group no longer exists.
 */
export function killGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

/** True while any process of the group is alive. */
export function groupAlive(pgid: number): boolean {
  return killGroup(pgid, 0);
}
