import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import { openEventDb, type EventDb } from '../../src/eventlog/db.js';
import { ownTempDir } from './processes.js';

/** An event log in its own temp dir, closed and removed when the test finishes. */
export function tempDb(prefix = 'tm-db-'): { db: EventDb; file: string } {
  const file = join(ownTempDir(prefix), 'events.db');
  const db = openEventDb(file);
  onTestFinished(() => {
    db.close();
  });
  return { db, file };
}
