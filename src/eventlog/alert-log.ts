import { randomUUID } from 'node:crypto';
import type { StoredEvent } from '../domain/types.js';
import type { EventDb } from './db.js';
import { fromRow } from './query.js';

/**
 * Where the alerts stand in the event log: every row up to `seq` is mailed or was no alert.
 * `sinceSeq` is where the cursor was made (alerts turned on): nothing before it is theirs.
 */
export type AlertCursor = { seq: number; stream: string; sinceSeq: number };

/** The kinds of alert a lookback looks for (alerts/classify.ts names them). */
export type AlertKinds = {
  fatal: boolean;
  spawnError: boolean;
  crashLoop: boolean;
  unexpected: boolean;
};

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
  /**
   * The newest transition of `name` after `afterSeq` and before `beforeSeq` that is an alert of
   * one of `kinds` or a run that reached its starttime; null if none.
   */
  lastAlertOrRun: (
    name: string,
    afterSeq: number,
    beforeSeq: number,
    kinds: AlertKinds,
  ) => StoredEvent | null;
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
  // the rules of alerts/classify.ts again, exactly this time: one row answers
  const lastAlertOrRun = db.prepare(
    `SELECT * FROM events
     WHERE name = @name AND seq > @afterSeq AND seq < @beforeSeq AND kind = 'transition'
       AND ((from_state = 'starting' AND to_state = 'running' AND cause = 'timeout')
            OR (@fatal AND to_state = 'fatal')
            OR (@spawnError AND cause = 'spawn-error' AND to_state IN ('backoff', 'fatal'))
            OR (@crashLoop AND to_state = 'backoff' AND cause = 'crash-loop')
            OR (@unexpected AND expected = 0))
     ORDER BY seq DESC LIMIT 1`,
  );
  return {
    cursor: () => {
      const row = read.get() as StoredCursor | undefined;
      return row === undefined ? null : cursorOf(row);
    },
    // the stream id made with the cursor starts with its seq: where alerts were turned on
    setCursor: (seq) =>
      cursorOf(
        upsert.get({ seq, stream: `${seq}.${randomUUID()}`, atMs: Date.now() }) as StoredCursor,
      ),
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
    lastAlertOrRun: (name, afterSeq, beforeSeq, kinds) => {
      const flags = {
        fatal: Number(kinds.fatal),
        spawnError: Number(kinds.spawnError),
        crashLoop: Number(kinds.crashLoop),
        unexpected: Number(kinds.unexpected),
      };
      const row = lastAlertOrRun.get({ name, afterSeq, beforeSeq, ...flags }) as Row | undefined;
      return row === undefined ? null : fromRow(row);
    },
  };
}

type StoredCursor = { seq: number; stream: string };

/** A stream id of an older version has no seq in it: its lookback is unbounded, as it was. */
function cursorOf({ seq, stream }: StoredCursor): AlertCursor {
  const since = /^(\d+)\./.exec(stream)?.[1];
  return { seq, stream, sinceSeq: since === undefined ? 0 : Number(since) };
}
