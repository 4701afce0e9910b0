import { describe, expect, it } from 'vitest';
import { createAppend } from '../../../src/eventlog/append.js';
import { alertLog } from '../../../src/eventlog/alert-log.js';
import { openEventDb } from '../../../src/eventlog/db.js';
import { makeEvent } from '../../helpers/events.js';
import { tempDb } from '../../helpers/temp-db.js';

/** Issue 9: the alert cursor and the rows the alerts read back, on a real SQLite file. */
describe('alertLog', () => {
  it('keeps the cursor and its stream id across a reopen, and forgets it when cleared', () => {
    const { db, file } = tempDb();
    const log = alertLog(db);
    expect(log.cursor()).toBeNull();
    const first = log.setCursor(5);
    expect(first.seq).toBe(5);
    // where alerts were turned on stays with the cursor as it moves
    expect(log.setCursor(9)).toEqual({ seq: 9, stream: first.stream, sinceSeq: 5 });
    db.close();
    const again = openEventDb(file);
    expect(alertLog(again).cursor()).toEqual({ seq: 9, stream: first.stream, sinceSeq: 5 });
    alertLog(again).clearCursor();
    expect(alertLog(again).cursor()).toBeNull();
    again.close();
  });

  it('reads the rows that may alert after a seq, across pages, and an instance back from a seq', () => {
    const { db } = tempDb();
    const append = createAppend(db, () => 1);
    const log = alertLog(db);
    expect(log.lastSeq()).toBe(0);
    const exit = { from: 'running', to: 'exited', cause: 'exit', pid: 1, exitCode: 1 } as const;
    db.transaction(() => {
      for (let i = 0; i < 2500; i++) {
        append(makeEvent({ name: `w:${i % 3}`, from: 'stopped', to: 'starting', cause: 'user' }));
        append(makeEvent({ name: `w:${i % 3}`, ...exit, expected: i % 2 === 0 }));
      }
    })();
    append(makeEvent({ name: 'w:0', from: 'starting', to: 'running', cause: 'timeout' }));
    append(makeEvent({ name: 'w:0', from: 'starting', to: 'fatal', cause: 'spawn-error' }));
    append(makeEvent({ name: 'w:0', from: 'exited', to: 'backoff', cause: 'crash-loop' }));
    const rows = [...log.candidates(0)];
    expect(rows).toHaveLength(1250 + 3);
    expect(rows.every((r, i) => i === 0 || r.seq > rows[i - 1]!.seq)).toBe(true);
    expect([...log.candidates(rows.at(-3)!.seq)].map((r) => r.to)).toEqual(['fatal', 'backoff']);
    expect(log.lastSeq()).toBe(rows.at(-1)!.seq);
    const all = { fatal: true, spawnError: true, crashLoop: true, unexpected: true };
    const last = rows.at(-1)!.seq;
    const newest = (kinds: typeof all, afterSeq = 0) => {
      const row = log.lastAlertOrRun('w:0', afterSeq, last, kinds);
      return row === null ? null : `${row.from} -> ${row.to} (${row.cause})`;
    };
    expect(newest(all)).toBe('starting -> fatal (spawn-error)');
    // a run answers as well as an alert: it ends the lookback
    expect(newest({ ...all, fatal: false, spawnError: false })).toBe(
      'starting -> running (timeout)',
    );
    // exits expected in half the rows: the newest unexpected one of w:0, past the expected ones
    const noRun = log.lastAlertOrRun('w:1', 0, last, { ...all, fatal: false });
    expect(noRun).toMatchObject({ to: 'exited', expected: false });
    // nothing before where the cursor was made
    expect(newest(all, last - 1)).toBeNull();
  });
});
