import type { Cause, LogRow, NoteRow, State, StoredEvent } from '../domain/types.js';
import type { EventDb } from './db.js';

export type EventQuery = {
  /** Instance names; empty or absent means every instance. */
  names?: readonly string[];
  sinceMs?: number;
  afterSeq?: number;
  /** The newest `limit` events (still returned oldest first). */
  limit?: number;
  /**
   * With `names`: also the daemon's own rows (its starts and stops), which belong to no
   * instance. Without `names` they are always there.
   */
  withDaemonRows?: boolean;
};

type Row = {
  seq: number;
  at_ms: number;
  kind: 'transition' | 'action' | 'daemon';
  name: string | null;
  from_state: string | null;
  to_state: string | null;
  cause: string;
  pid: number | null;
  exit_code: number | null;
  signal: string | null;
  retries: number;
  message: string | null;
  revision: number;
  wait_ms: number | null;
  expected: number | null;
  action: string | null;
  client: string | null;
};

/** Transitions oldest first, filtered as `tm log` asks (the other rows left out). */
export function queryEvents(db: EventDb, q: EventQuery = {}): StoredEvent[] {
  return select(db, q, "kind = 'transition'").map(fromRow);
}

/** Every row `tm log` shows, transitions and the rest, oldest first. */
export function queryLog(db: EventDb, q: EventQuery = {}): LogRow[] {
  return select(db, q, null).map(fromAnyRow);
}

function select(db: EventDb, q: EventQuery, kind: string | null): Row[] {
  const where: string[] = kind === null ? [] : [kind];
  const params: (string | number)[] = [];
  if (q.names !== undefined && q.names.length > 0) {
    const names = `name IN (${q.names.map(() => '?').join(', ')})`;
    where.push(q.withDaemonRows === true ? `(${names} OR kind = 'daemon')` : names);
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
  return db
    .prepare(
      `SELECT * FROM (SELECT * FROM events ${filter} ORDER BY seq DESC ${limit}) ORDER BY seq`,
    )
    .all(...params) as Row[];
}

function fromAnyRow(r: Row): LogRow {
  if (r.kind === 'transition') return { kind: 'transition', ...fromRow(r) };
  const note: NoteRow = {
    kind: r.kind,
    seq: r.seq,
    atMs: r.at_ms,
    name: r.name,
    action: r.action ?? '',
    client: r.client,
    message: r.message,
    revision: r.revision,
  };
  return note;
}

export function fromRow(r: Row): StoredEvent {
  return {
    seq: r.seq,
    atMs: r.at_ms,
    // a transition always has its instance and both states (db.ts)
    name: r.name!,
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

/** The daemon's last row about itself, and the time of the newest row of all (for a crash). */
export function lastDaemonRow(
  db: EventDb,
): { action: string; atMs: number; message: string | null; lastAtMs: number } | null {
  const row = db
    .prepare(
      `SELECT action, at_ms AS atMs, message FROM events WHERE kind = 'daemon'
       ORDER BY seq DESC LIMIT 1`,
    )
    .get() as { action: string; atMs: number; message: string | null } | undefined;
  if (row === undefined) return null;
  const last = db.prepare('SELECT MAX(at_ms) AS t FROM events').get() as { t: number };
  return { ...row, lastAtMs: last.t };
}

/** Every instance name the log has rows of (programs since removed from the config included). */
export function knownNames(db: EventDb): string[] {
  return db.prepare('SELECT name FROM instances ORDER BY name').pluck().all() as string[];
}
