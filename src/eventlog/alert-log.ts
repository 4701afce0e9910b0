import { randomUUID } from 'node:crypto';
import type { StoredEvent } from '../domain/types.js';
import type { EventDb } from './db.js';
import { fromRow } from './query.js';

/** Where the alerts stand in the event log: every row up to `seq` is mailed or was no alert. */
export type AlertCursor = { seq: number; stream: string };

/** What the alert projection keeps in, and reads from, the event log. */
export type AlertLog = {
  /** null when no alerts were ever mailed from this log, or alerts were turned off since. */
  cursor: () => AlertCursor | null;
  /** Moves the cursor (creating it, with a new stream id, the first time). */
  setCursor: (seq: number) => AlertCursor;
  /** Forgets the cursor: alerts were turned off, nothing is owed any more. */
  clearCursor: () => void;
  /** The newest row's seq (0 for an empty log). */
  lastSeq: () => number;
  /**
   * The transitions after `afterSeq` that can be alerts (a fatal, a spawn error, a crash-loop
   * wait, an unexpected exit, a run that reached its starttime), oldest first, read one at a time.
   */
  candidates: (afterSeq: number) => IterableIterator<StoredEvent>;
  /** The transitions of `name` before `beforeSeq`, newest first, at most `limit`. */
  before: (name: string, beforeSeq: number, limit: number) => StoredEvent[];
};

type Row = Parameters<typeof fromRow>[0];

/** Candidate rows read at once: a long backlog is read in pages. */
const PAGE = 1000;

export function alertLog(db: EventDb): AlertLog {
  const read = db.prepare('SELECT seq, stream FROM alert_cursor WHERE id = 1');
  const upsert = db.prepare(
    `INSERT INTO alert_cursor (id, seq, stream, at_ms) VALUES (1, @seq, @stream, @atMs)
     ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, at_ms = excluded.at_ms
     RETURNING seq, stream`,
  );
  const clear = db.prepare('DELETE FROM alert_cursor');
  const last = db.prepare('SELECT COALESCE(MAX(seq), 0) FROM events').pluck();
  // the same rules as alerts/classify.ts, loosely: that file decides, this only narrows the scan
  const candidates = db.prepare(
    `SELECT * FROM events
     WHERE seq > ? AND kind = 'transition'
       AND (to_state = 'fatal' OR cause IN ('spawn-error', 'crash-loop') OR expected = 0
            OR (to_state = 'running' AND cause = 'timeout'))
     ORDER BY seq LIMIT ${PAGE}`,
  );
  const before = db.prepare(
    `SELECT * FROM events WHERE name = ? AND seq < ? AND kind = 'transition'
     ORDER BY seq DESC LIMIT ?`,
  );
  return {
    cursor: () => (read.get() as AlertCursor | undefined) ?? null,
    setCursor: (seq) => upsert.get({ seq, stream: randomUUID(), atMs: Date.now() }) as AlertCursor,
    clearCursor: () => void clear.run(),
    lastSeq: () => last.get() as number,
    // by pages, not iterate(): the connection is busy while an iterator is open, and the reader
    // of these rows queries the log too (before())
    candidates: function* (afterSeq) {
      let seq = afterSeq;
      for (;;) {
        const rows = candidates.all(seq) as Row[];
        for (const row of rows) yield fromRow(row);
        if (rows.length < PAGE) return;
        seq = rows.at(-1)!.seq;
      }
    },
    before: (name, beforeSeq, limit) =>
      (before.all(name, beforeSeq, limit) as Row[]).map((r) => fromRow(r)),
  };
}
