import type { Cause, State, StoredEvent } from '../domain/types.js';
import type { EventDb } from './db.js';

export type EventQuery = {
  /** Instance names; empty or absent means every instance. */
  names?: readonly string[];
  sinceMs?: number;
  afterSeq?: number;
  /** The newest `limit` events (still returned oldest first). */
  limit?: number;
};

type Row = {
  seq: number;
  at_ms: number;
  name: string;
  from_state: string;
  to_state: string;
  cause: string;
  pid: number | null;
  exit_code: number | null;
  signal: string | null;
  retries: number;
  message: string | null;
  revision: number;
  wait_ms: number | null;
  expected: number | null;
};

/** Events oldest first, filtered as `tm log` asks. */
export function queryEvents(db: EventDb, q: EventQuery = {}): StoredEvent[] {
  const where: string[] = [];
  const params: (string | number)[] = [];
  if (q.names !== undefined && q.names.length > 0) {
    where.push(`name IN (${q.names.map(() => '?').join(', ')})`);
    params.push(...q.names);
  }
  if (q.sinceMs !== undefined) {
    where.push('at_ms >= ?');
    params.push(q.sinceMs);
  }
  if (q.afterSeq !== undefined) {
    where.push('seq > ?');
    params.push(q.afterSeq);
  }
  const filter = where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`;
  const limit = q.limit === undefined ? '' : `LIMIT ${Math.max(0, Math.floor(q.limit))}`;
  const rows = db
    .prepare(
      `SELECT * FROM (SELECT * FROM events ${filter} ORDER BY seq DESC ${limit}) ORDER BY seq`,
    )
    .all(...params) as Row[];
  return rows.map(fromRow);
}

export function fromRow(r: Row): StoredEvent {
  return {
    seq: r.seq,
    atMs: r.at_ms,
    name: r.name,
    from: r.from_state as State,
    to: r.to_state as State,
    cause: r.cause as Cause,
    pid: r.pid,
    exitCode: r.exit_code,
    signal: r.signal,
    retries: r.retries,
    message: r.message,
    waitMs: r.wait_ms,
    expected: r.expected === null ? null : r.expected === 1,
    revision: r.revision,
  };
}
