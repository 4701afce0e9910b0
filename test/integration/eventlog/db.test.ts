import { mkdtempSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createAppend } from '../../../src/eventlog/append.js';
import { openEventDb, type EventDb } from '../../../src/eventlog/db.js';
import { queryEvents } from '../../../src/eventlog/query.js';
import { makeEvent, makeStoredEvent } from '../../helpers/events.js';

/** The event log's file: WAL, schema migrations by `user_version`, rows that outlive the daemon. */

function tempFile(name = 'events.db'): string {
  const dir = mkdtempSync(join(tmpdir(), 'tm-db-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, name);
}

function open(file: string): EventDb {
  const db = openEventDb(file);
  onTestFinished(() => {
    db.close();
  });
  return db;
}

/** A plain connection, to look at the file as any other SQLite client would. */
function raw(file: string): Database.Database {
  const db = new Database(file);
  onTestFinished(() => {
    db.close();
  });
  return db;
}

function userVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

describe('openEventDb', () => {
  it('creates the file in WAL mode, which another connection sees too', () => {
    const file = tempFile();
    const db = open(file);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    // WAL is a property of the file, not of the connection: tm log's reader gets it as well
    expect(raw(file).pragma('journal_mode', { simple: true })).toBe('wal');
  });

  it('applies the migrations and records how many in user_version', () => {
    const file = tempFile();
    open(file);
    const other = raw(file);
    expect(userVersion(other)).toBeGreaterThanOrEqual(1);
    const tables = other
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .pluck()
      .all();
    expect(tables).toEqual(expect.arrayContaining(['events', 'processes', 'revisions']));
  });

  it('reopening keeps the rows and the schema version, and migrates nothing twice', () => {
    const file = tempFile();
    const first = openEventDb(file);
    const version = userVersion(first);
    createAppend(first, () => 1)(makeEvent());
    first.close();

    const second = open(file);
    expect(userVersion(second)).toBe(version);
    // the row read back is the one written, with its seq and revision
    expect(queryEvents(second)).toEqual([makeStoredEvent()]);
  });

  it('refuses a file whose schema is newer than this taskmaster knows, saying what to do', () => {
    const file = tempFile();
    openEventDb(file).close();
    const known = userVersion(raw(file));
    const newer = raw(file);
    newer.pragma(`user_version = ${known + 1}`);
    newer.close();

    expect(() => openEventDb(file)).toThrow(
      `event log ${file} has schema version ${known + 1}, newer than this taskmaster knows (${known}): upgrade taskmaster or point daemon.eventlog elsewhere`,
    );
    // and leaves the file as it found it, for the newer taskmaster
    expect(userVersion(raw(file))).toBe(known + 1);
  });

  // Not a behaviour the brief asked for, but a refused file should not stay open: the daemon
  // that cannot start should not keep the newer taskmaster's database open either.
  it('closes the file again when it refuses it (no descriptor left open)', () => {
    const file = tempFile();
    openEventDb(file).close();
    const newer = raw(file);
    newer.pragma(
      `user_version = ${(newer.pragma('user_version', { simple: true }) as number) + 1}`,
    );
    newer.close();

    const openOnFile = () =>
      readdirSync('/proc/self/fd').filter((fd) => {
        try {
          return readlinkSync(`/proc/self/fd/${fd}`) === file;
        } catch {
          // the descriptor readdir itself used is gone by now
          return false;
        }
      }).length;
    const before = openOnFile();
    expect(() => openEventDb(file)).toThrow('newer than this taskmaster knows');
    expect(openOnFile()).toBe(before);
  });
});

describe('schema 4: the summary of each instance (issue 8: a start independent of history)', () => {
  it('an event log of schema 3 is upgraded with its rows, their seq and a summary per instance', () => {
    const file = tempFile();
    const old = raw(file);
    // the schema as taskmaster 0.1 left it (migrations 1 to 3)
    old.exec(`CREATE TABLE events (seq INTEGER PRIMARY KEY AUTOINCREMENT, at_ms INTEGER NOT NULL,
      name TEXT NOT NULL, from_state TEXT NOT NULL, to_state TEXT NOT NULL, cause TEXT NOT NULL,
      pid INTEGER, exit_code INTEGER, signal TEXT, retries INTEGER NOT NULL, message TEXT,
      revision INTEGER NOT NULL, wait_ms INTEGER, expected INTEGER);
      CREATE INDEX events_by_name ON events (name, seq);
      CREATE TABLE revisions (revision INTEGER PRIMARY KEY, at_ms INTEGER NOT NULL,
        file TEXT NOT NULL, summary TEXT NOT NULL);
      CREATE TABLE processes (pid INTEGER NOT NULL, proc_start INTEGER NOT NULL,
        name TEXT NOT NULL, spawned_ms INTEGER NOT NULL, exited_ms INTEGER, boot_id TEXT,
        PRIMARY KEY (pid, proc_start));
      PRAGMA user_version = 3;`);
    const insert = old.prepare(
      `INSERT INTO events (at_ms, name, from_state, to_state, cause, retries, revision)
       VALUES (?, ?, ?, ?, ?, ?, 1)`,
    );
    insert.run(1, 'web:0', 'stopped', 'starting', 'user', 0);
    insert.run(2, 'web:0', 'starting', 'running', 'timeout', 0);
    insert.run(3, 'web:1', 'stopped', 'starting', 'autostart', 0);
    insert.run(4, 'web:1', 'starting', 'backoff', 'exit', 2);
    insert.run(5, 'web:0', 'running', 'stopping', 'user', 0);
    insert.run(6, 'web:0', 'stopping', 'stopped', 'user', 0);
    old.close();

    const db = open(file);
    expect(queryEvents(db).map((e) => `${e.seq} ${e.name} ${e.to}`)).toEqual([
      '1 web:0 starting',
      '2 web:0 running',
      '3 web:1 starting',
      '4 web:1 backoff',
      '5 web:0 stopping',
      '6 web:0 stopped',
    ]);
    const summary = () => db.prepare('SELECT * FROM instances ORDER BY name').all();
    expect(summary()).toEqual([
      {
        name: 'web:0',
        last_seq: 6,
        state: 'stopped',
        retries: 0,
        at_ms: 6,
        intent: 'stop',
        rows: 4,
      },
      { name: 'web:1', last_seq: 4, state: 'backoff', retries: 2, at_ms: 4, intent: null, rows: 2 },
    ]);
    // and it is kept up to date as rows are added: seq goes on, the intent changes with a start
    const append = createAppend(db, () => 2);
    const stored = append(makeEvent({ atMs: 7, name: 'web:0', cause: 'user' }));
    expect(stored.seq).toBe(7);
    expect(summary()[0]).toEqual({
      name: 'web:0',
      last_seq: 7,
      state: 'starting',
      retries: 0,
      at_ms: 7,
      intent: 'start',
      rows: 5,
    });
  });
});
