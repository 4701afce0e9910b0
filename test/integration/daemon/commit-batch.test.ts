import Database from 'better-sqlite3';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { CommitBatch } from '../../../src/daemon/commit-batch.js';
import { openTextLog } from '../../../src/daemon/text-log.js';
import { writeGuard } from '../../../src/daemon/write-guard.js';
import { createAppend } from '../../../src/eventlog/append.js';
import type { TransitionEvent } from '../../../src/domain/types.js';
import { makeEvent } from '../../helpers/events.js';
import { ownTempDir } from '../../helpers/processes.js';
import { tempDb } from '../../helpers/temp-db.js';

// issue 10: the writes of a burst are one commit, and nothing acts on them before it

function setup() {
  const { db, file } = tempDb('tm-batch-');
  const logFile = join(ownTempDir('tm-batch-log-'), 'taskmaster.log');
  const log = openTextLog(logFile, { maxBytes: 0, backups: 0 }, null);
  onTestFinished(() => log.close());
  const guard = writeGuard('event log', log);
  const errors: unknown[] = [];
  const batch = new CommitBatch(db, guard, (error) => errors.push(error));
  // a second connection sees only what is committed
  const reader = new Database(file, { readonly: true });
  onTestFinished(() => void reader.close());
  const committed = () =>
    (
      reader.prepare("SELECT COUNT(*) AS n FROM events WHERE kind = 'transition'").get() as {
        n: number;
      }
    ).n;
  return { db, batch, guard, errors, committed, logFile };
}

function row(name: string): TransitionEvent {
  return makeEvent({ atMs: Date.now(), name });
}

describe('a burst of writes', () => {
  it('is one commit: nothing is seen until its end, and every held act runs after it', () => {
    const { db, batch, committed } = setup();
    const append = createAppend(db, () => 0);
    const seenByActs: number[] = [];
    batch.run(() => {
      for (let i = 0; i < 500; i++) {
        batch.write(() => append(row(`web:${i}`)));
        batch.afterCommit(() => seenByActs.push(committed()));
      }
      expect(committed()).toBe(0);
    });
    expect(seenByActs).toHaveLength(500);
    expect(new Set(seenByActs)).toEqual(new Set([500]));
  });

  it('outside a burst, each write commits alone and an act runs at once', () => {
    const { db, batch, committed } = setup();
    const append = createAppend(db, () => 0);
    batch.write(() => append(row('web:0')));
    let seen = -1;
    batch.afterCommit(() => (seen = committed()));
    expect(seen).toBe(1);
  });

  it('a burst inside a burst joins it; acts keep their order; one that throws stops no other', () => {
    const { db, batch, errors, committed } = setup();
    const append = createAppend(db, () => 0);
    const order: string[] = [];
    batch.run(() => {
      batch.write(() => append(row('web:0')));
      batch.afterCommit(() => order.push('a'));
      batch.run(() => {
        batch.write(() => append(row('web:1')));
        batch.afterCommit(() => {
          throw new Error('a bug in an act');
        });
        batch.afterCommit(() => order.push('b'));
      });
      // the inner burst did not commit on its own
      expect(committed()).toBe(0);
      batch.afterCommit(() => order.push('c'));
    });
    expect(order).toEqual(['a', 'b', 'c']);
    expect(errors).toHaveLength(1);
    expect(committed()).toBe(2);
  });

  it('a commit that fails loses its rows, says so with their count, and still runs the acts', () => {
    const { db, batch, guard, logFile } = setup();
    // a deferred foreign key is checked at COMMIT: a real commit that fails
    db.exec(`PRAGMA foreign_keys = ON;
      CREATE TABLE parent (id INTEGER PRIMARY KEY);
      CREATE TABLE child (parent INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED);`);
    const insert = db.prepare('INSERT INTO child (parent) VALUES (?)');
    const isLostInActs: boolean[] = [];
    batch.run(() => {
      for (let i = 0; i < 3; i++) {
        batch.write(() => insert.run(i));
        batch.afterCommit(() => isLostInActs.push(batch.isLost));
      }
    });
    expect(isLostInActs).toEqual([true, true, true]);
    expect(batch.isLost).toBe(false);
    expect(guard.lost).toBe(3);
    expect(db.inTransaction).toBe(false);
    expect((db.prepare('SELECT COUNT(*) AS n FROM child').get() as { n: number }).n).toBe(0);
    expect(readFileSync(logFile, 'utf8')).toMatch(
      /ERROR event log: cannot write \(SQLITE_CONSTRAINT_FOREIGNKEY: .*\): history is not being recorded, supervision goes on/,
    );
    // and the next burst writes again
    batch.run(() => batch.write(() => db.exec('DELETE FROM child')));
    expect(guard.lost).toBe(3);
  });
});
