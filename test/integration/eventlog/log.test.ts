import Database from 'better-sqlite3';
import { describe, expect, it, onTestFinished } from 'vitest';
import { appendRevision, createAppend } from '../../../src/eventlog/append.js';
import { openEventDb, type EventDb } from '../../../src/eventlog/db.js';
import { queryEvents } from '../../../src/eventlog/query.js';
import { makeEvent } from '../../helpers/events.js';
import { tempDb } from '../../helpers/temp-db.js';

/** Appending transitions and config revisions, and reading them back as `tm log` does. */

const event = makeEvent;

describe('createAppend', () => {
  it('returns the event as stored, with its seq and the current revision', () => {
    const { db } = tempDb('tm-log-');
    const append = createAppend(db, () => 7);
    const stored = append(event());
    expect(stored).toEqual({ ...event(), seq: 1, revision: 7 });
    expect(append(event({ to: 'running', from: 'starting', cause: 'timeout' })).seq).toBe(2);
  });

  it('asks for the revision at each append, not once', () => {
    const { db } = tempDb('tm-log-');
    let revision = 1;
    const append = createAppend(db, () => revision);
    append(event());
    revision = 2;
    append(event({ from: 'starting', to: 'running', cause: 'timeout' }));
    expect(queryEvents(db).map((e) => e.revision)).toEqual([1, 2]);
  });

  it('has committed the row when it returns: another connection reads it at once', () => {
    const { db, file } = tempDb('tm-log-');
    const reader = new Database(file, { readonly: true });
    onTestFinished(() => {
      reader.close();
    });
    createAppend(db, () => 1)(event({ pid: 42 }));
    expect(reader.prepare('SELECT name, pid FROM events').all()).toEqual([
      { name: 'web:0', pid: 42 },
    ]);
  });

  it('stores every field, nulls included, and reads them back unchanged', () => {
    const { db } = tempDb('tm-log-');
    const append = createAppend(db, () => 3);
    const events = [
      event({ atMs: 1, from: 'running', to: 'exited', cause: 'exit', pid: 10, exitCode: 2 }),
      event({
        atMs: 2,
        from: 'stopping',
        to: 'stopped',
        cause: 'user',
        pid: 11,
        signal: 'SIGTERM',
      }),
      event({
        atMs: 3,
        from: 'starting',
        to: 'backoff',
        cause: 'spawn-error',
        retries: 1,
        message: 'no such file: /usr/bin/nope',
      }),
    ];
    const stored = events.map(append);
    expect(queryEvents(db)).toEqual(stored);
    expect(stored.map((e) => e.seq)).toEqual([1, 2, 3]);
  });
});

describe('appendRevision', () => {
  it('numbers the revisions 1, 2, … and stores file, summary and time', () => {
    const { db } = tempDb('tm-log-');
    const before = Date.now();
    expect(appendRevision(db, '/etc/tm.yaml', 'boot')).toBe(1);
    expect(appendRevision(db, '/etc/tm.yaml', 'added web')).toBe(2);
    const after = Date.now();
    const rows = db.prepare('SELECT * FROM revisions ORDER BY revision').all() as {
      revision: number;
      at_ms: number;
      file: string;
      summary: string;
    }[];
    expect(rows.map(({ at_ms: _, ...r }) => r)).toEqual([
      { revision: 1, file: '/etc/tm.yaml', summary: 'boot' },
      { revision: 2, file: '/etc/tm.yaml', summary: 'added web' },
    ]);
    for (const r of rows) {
      expect(r.at_ms).toBeGreaterThanOrEqual(before);
      expect(r.at_ms).toBeLessThanOrEqual(after);
    }
  });

  it('goes on counting after a reopen', () => {
    const { db, file } = tempDb('tm-log-');
    appendRevision(db, 'a.yaml', 'boot');
    appendRevision(db, 'a.yaml', 'reload');
    const again = openEventDb(file);
    onTestFinished(() => {
      again.close();
    });
    expect(appendRevision(again, 'a.yaml', 'boot')).toBe(3);
  });
});

describe('queryEvents', () => {
  /** web:0 and web:1 and db:0 interleaved, at 100 ms steps: seq n has atMs n * 100. */
  function seeded(): EventDb {
    const { db } = tempDb('tm-log-');
    const append = createAppend(db, () => 1);
    const names = ['web:0', 'web:1', 'db:0', 'web:0', 'db:0', 'web:1', 'web:0', 'web:0'];
    names.forEach((name, i) => append(event({ name, atMs: (i + 1) * 100 })));
    return db;
  }
  const seqs = (db: EventDb, q: Parameters<typeof queryEvents>[1]) =>
    queryEvents(db, q).map((e) => e.seq);

  it('returns every event oldest first without a filter', () => {
    const db = seeded();
    expect(seqs(db, undefined)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(seqs(db, {})).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('is empty on an empty log', () => {
    const { db } = tempDb('tm-log-');
    expect(queryEvents(db, { names: ['web:0'], limit: 5 })).toEqual([]);
  });

  it('filters by instance names; an empty list means every instance', () => {
    const db = seeded();
    expect(seqs(db, { names: ['web:0'] })).toEqual([1, 4, 7, 8]);
    expect(seqs(db, { names: ['web:1', 'db:0'] })).toEqual([2, 3, 5, 6]);
    expect(seqs(db, { names: ['nope:0'] })).toEqual([]);
    expect(seqs(db, { names: [] })).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('sinceMs keeps events at or after that time', () => {
    const db = seeded();
    expect(seqs(db, { sinceMs: 600 })).toEqual([6, 7, 8]);
    expect(seqs(db, { sinceMs: 601 })).toEqual([7, 8]);
    expect(seqs(db, { sinceMs: 10_000 })).toEqual([]);
  });

  it('afterSeq keeps events strictly after that seq (what -f resumes from)', () => {
    const db = seeded();
    expect(seqs(db, { afterSeq: 6 })).toEqual([7, 8]);
    expect(seqs(db, { afterSeq: 0 })).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(seqs(db, { afterSeq: 8 })).toEqual([]);
  });

  it('limit returns the newest N events, still oldest first', () => {
    const db = seeded();
    expect(seqs(db, { limit: 3 })).toEqual([6, 7, 8]);
    expect(seqs(db, { limit: 1 })).toEqual([8]);
    expect(seqs(db, { limit: 100 })).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(seqs(db, { limit: 0 })).toEqual([]);
    expect(seqs(db, { limit: 2.7 })).toEqual([7, 8]);
    expect(seqs(db, { limit: -1 })).toEqual([]);
  });

  it('combines the filters, the limit applying to what the others kept', () => {
    const db = seeded();
    expect(seqs(db, { names: ['web:0'], limit: 2 })).toEqual([7, 8]);
    expect(seqs(db, { names: ['web:0', 'db:0'], sinceMs: 400, limit: 2 })).toEqual([7, 8]);
    expect(seqs(db, { names: ['db:0', 'web:1'], afterSeq: 2, limit: 2 })).toEqual([5, 6]);
    expect(seqs(db, { names: ['web:1'], sinceMs: 100, afterSeq: 1 })).toEqual([2, 6]);
  });

  it('names are values, not SQL', () => {
    const db = seeded();
    expect(seqs(db, { names: ["web:0' OR '1'='1"] })).toEqual([]);
  });
});
