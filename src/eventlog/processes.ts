import type { EventDb } from './db.js';

export type LiveProcess = { pid: number; procStart: number; name: string };
/** As registered: `bootId` null for a row written before the boot was recorded. */
export type RegisteredProcess = LiveProcess & { bootId: string | null };

/**
 * The register of processes the daemon started and has not yet seen exit. Written when a
 * process is spawned, before the machine hears of it, so a daemon that dies at any moment
 * leaves behind the list of what it must adopt or stop when it comes back.
 */
export type ProcessRegister = {
  spawned: (p: LiveProcess & { bootId: string | null }) => void;
  exited: (pid: number, procStart: number) => void;
  /** Processes not seen to exit, newest first. */
  unexited: () => RegisteredProcess[];
};

export function processRegister(db: EventDb): ProcessRegister {
  const insert = db.prepare(
    `INSERT OR REPLACE INTO processes (pid, proc_start, name, spawned_ms, boot_id)
     VALUES (?, ?, ?, ?, ?)`,
  );
  const exit = db.prepare(
    'UPDATE processes SET exited_ms = ? WHERE pid = ? AND proc_start = ? AND exited_ms IS NULL',
  );
  const open = db.prepare(
    `SELECT pid, proc_start AS procStart, name, boot_id AS bootId FROM processes
     WHERE exited_ms IS NULL ORDER BY spawned_ms DESC, rowid DESC`,
  );
  return {
    spawned: (p) => void insert.run(p.pid, p.procStart, p.name, Date.now(), p.bootId),
    exited: (pid, procStart) => void exit.run(Date.now(), pid, procStart),
    unexited: () => open.all() as RegisteredProcess[],
  };
}
