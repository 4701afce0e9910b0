import type { State } from '../domain/types.js';
import type { EventDb } from './db.js';

/** What the event log says of one instance at the end of the daemon's previous run. */
export type Recovered = {
  name: string;
  state: State;
  retries: number;
  /** When the last transition happened (epoch ms). */
  atMs: number;
  /** The last start or stop a user asked for, if any. */
  intent: 'start' | 'stop' | null;
};

/**
 * The last known state of every instance the log has heard of, by name: one row per instance of
 * the summary the log keeps as it is written (db.ts), so the daemon's start does not depend on
 * the length of the history.
 */
export function recover(db: EventDb): Map<string, Recovered> {
  const rows = db
    .prepare(`SELECT name, state, retries, at_ms, intent FROM instances WHERE state IS NOT NULL`)
    .all() as {
    name: string;
    state: State;
    retries: number;
    at_ms: number;
    intent: 'start' | 'stop' | null;
  }[];
  const out = new Map<string, Recovered>();
  for (const r of rows) {
    out.set(r.name, {
      name: r.name,
      state: r.state,
      retries: r.retries,
      atMs: r.at_ms,
      intent: r.intent,
    });
  }
  return out;
}
