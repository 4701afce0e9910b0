import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bench, describe } from 'vitest';
import { createAppend } from '../src/eventlog/append.js';
import { openEventDb } from '../src/eventlog/db.js';
import { queryEvents } from '../src/eventlog/query.js';

/** The cost of recording one transition: a synchronous, committed SQLite insert (WAL, NORMAL). */
const db = openEventDb(join(mkdtempSync(join(tmpdir(), 'tm-bench-')), 'events.db'));
const append = createAppend(db, () => 1);
let n = 0;

describe('event log', () => {
  bench('append one transition (committed)', () => {
    append({
      atMs: Date.now(),
      name: `web:${n++ % 100}`,
      from: 'starting',
      to: 'running',
      cause: 'timeout',
      pid: 1234,
      exitCode: null,
      signal: null,
      retries: 0,
      waitMs: null,
      expected: null,
      message: null,
    });
  });

  bench('tm log web:7 --limit 50 (query by name)', () => {
    queryEvents(db, { names: ['web:7'], limit: 50 });
  });
});
