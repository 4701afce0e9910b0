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

/** The last known state of every instance the log has heard of, by name. */
export function recover(db: EventDb): Map<string, Recovered> {
  const last = db
    .prepare(
      `SELECT name, to_state, retries, at_ms FROM events
       WHERE seq IN (SELECT MAX(seq) FROM events GROUP BY name)`,
    )
    .all() as {
    name: string;
    to_state: State;
    retries: number;
    at_ms: number;
  }[];
  const intents = db
    .prepare(
      `SELECT name, to_state FROM events WHERE seq IN (
         SELECT MAX(seq) FROM events
         WHERE cause = 'user' AND to_state IN ('starting', 'stopping', 'stopped')
         GROUP BY name)`,
    )
    .all() as { name: string; to_state: State }[];
  const intentOf = new Map(
    intents.map((r) => [r.name, r.to_state === 'starting' ? 'start' : 'stop'] as const),
  );
  const out = new Map<string, Recovered>();
  for (const r of last) {
    out.set(r.name, {
      name: r.name,
      state: r.to_state,
      retries: r.retries,
      atMs: r.at_ms,
      intent: intentOf.get(r.name) ?? null,
    });
  }
  return out;
}
