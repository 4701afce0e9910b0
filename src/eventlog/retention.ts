import type { EventDb } from './db.js';

/** Rows one prune statement deletes at most: small enough never to stall supervision. */
export const PRUNE_BATCH = 500;

export type Pruner = {
  /** Row counts per instance, as the summary holds them (read once at start). */
  counts: () => Map<string, number>;
  /** Deletes up to PRUNE_BATCH of `name`'s oldest rows beyond its newest `keep`; how many. */
  pruneInstance: (name: string, keep: number) => number;
  /** Deletes up to PRUNE_BATCH rows older than `cutoffMs`; how many. */
  pruneOlderThan: (cutoffMs: number) => number;
  /** Forgets processes seen to exit before `cutoffMs` (the register only needs the live ones). */
  pruneExitedProcesses: (cutoffMs: number) => number;
};

/**
 * Retention (`daemon.eventretention`), a batch at a time: every statement is bounded, so the
 * caller can spread a big prune over turns of the event loop. Only an instance's own rows count
 * against its bound, so a crash loop pushes out its own history, never another instance's; the
 * summary of each instance (its last state, the last intent) is kept whatever is pruned.
 */
export function pruner(db: EventDb): Pruner {
  const counts = db.prepare('SELECT name, rows FROM instances');
  const oldest = db.prepare(
    `SELECT seq FROM events WHERE name = ? ORDER BY seq
     LIMIT MIN(?, MAX(0, (SELECT rows FROM instances WHERE name = ?) - ?))`,
  );
  const deleteUpTo = db.prepare('DELETE FROM events WHERE name = ? AND seq <= ?');
  const lessRows = db.prepare('UPDATE instances SET rows = MAX(0, rows - ?) WHERE name = ?');
  const old = db.prepare('SELECT seq, name FROM events WHERE at_ms < ? ORDER BY at_ms LIMIT ?');
  const deleteSeq = db.prepare('DELETE FROM events WHERE seq = ?');
  const exited = db.prepare(
    `DELETE FROM processes WHERE rowid IN (
       SELECT rowid FROM processes WHERE exited_ms IS NOT NULL AND exited_ms < ? LIMIT ?)`,
  );
  return {
    counts: () =>
      new Map((counts.all() as { name: string; rows: number }[]).map((r) => [r.name, r.rows])),
    pruneInstance: db.transaction((name: string, keep: number) => {
      const seqs = oldest.pluck().all(name, PRUNE_BATCH, name, keep) as number[];
      if (seqs.length === 0) return 0;
      const { changes } = deleteUpTo.run(name, seqs.at(-1)!);
      lessRows.run(changes, name);
      return changes;
    }),
    pruneOlderThan: db.transaction((cutoffMs: number) => {
      const rows = old.all(cutoffMs, PRUNE_BATCH) as { seq: number; name: string | null }[];
      const perName = new Map<string, number>();
      for (const r of rows) {
        deleteSeq.run(r.seq);
        if (r.name !== null) perName.set(r.name, (perName.get(r.name) ?? 0) + 1);
      }
      for (const [name, n] of perName) lessRows.run(n, name);
      return rows.length;
    }),
    pruneExitedProcesses: (cutoffMs) => exited.run(cutoffMs, PRUNE_BATCH).changes,
  };
}
