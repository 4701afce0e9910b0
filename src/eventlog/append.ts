import type { NoteRow, StoredEvent, TransitionEvent } from '../domain/types.js';
import type { EventDb } from './db.js';

export type Append = (event: TransitionEvent) => StoredEvent;

/**
 * A synchronous append of one transition: when it returns, the row is committed, so the
 * caller may act on the transition knowing it is on record.
 */
export function createAppend(db: EventDb, revision: () => number): Append {
  const insert = db.prepare(
    `INSERT INTO events (at_ms, name, from_state, to_state, cause, pid, exit_code, signal,
                         retries, message, revision, wait_ms, expected)
     VALUES (@atMs, @name, @from, @to, @cause, @pid, @exitCode, @signal,
             @retries, @message, @revision, @waitMs, @expected)`,
  );
  return (event) => {
    const rev = revision();
    const expected = event.expected === null ? null : event.expected ? 1 : 0;
    const { lastInsertRowid } = insert.run({ ...event, expected, revision: rev });
    return { ...event, seq: Number(lastInsertRowid), revision: rev };
  };
}

/** A row that is not a transition (an action asked over the wire, the daemon's own life). */
export type Note = Omit<NoteRow, 'seq' | 'revision' | 'atMs'>;
export type AppendNote = (note: Note) => NoteRow;

export function createAppendNote(db: EventDb, revision: () => number): AppendNote {
  const insert = db.prepare(
    `INSERT INTO events (at_ms, kind, name, cause, message, revision, action, client)
     VALUES (@atMs, @kind, @name, 'user', @message, @revision, @action, @client)`,
  );
  return (note) => {
    const rev = revision();
    const atMs = Date.now();
    const { lastInsertRowid } = insert.run({ ...note, atMs, revision: rev });
    return { ...note, atMs, seq: Number(lastInsertRowid), revision: rev };
  };
}

/** Records a config revision (each successful load or reload) and returns its number. */
export function appendRevision(db: EventDb, file: string, summary: string): number {
  const row = db
    .prepare('INSERT INTO revisions (at_ms, file, summary) VALUES (?, ?, ?) RETURNING revision')
    .get(Date.now(), file, summary) as { revision: number };
  return row.revision;
}
