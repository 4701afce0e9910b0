import Database from 'better-sqlite3';

export type EventDb = Database.Database;

/** Schema migrations, applied in order; `PRAGMA user_version` is the number applied so far. */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE events (
     seq        INTEGER PRIMARY KEY AUTOINCREMENT,
     at_ms      INTEGER NOT NULL,
     name       TEXT    NOT NULL,
     from_state TEXT    NOT NULL,
     to_state   TEXT    NOT NULL,
     cause      TEXT    NOT NULL,
     pid        INTEGER,
     exit_code  INTEGER,
     signal     TEXT,
     retries    INTEGER NOT NULL,
     message    TEXT,
     revision   INTEGER NOT NULL
   );
   CREATE INDEX events_by_name ON events (name, seq);
   CREATE TABLE revisions (
     revision INTEGER PRIMARY KEY,
     at_ms    INTEGER NOT NULL,
     file     TEXT    NOT NULL,
     summary  TEXT    NOT NULL
   );
   -- every process the daemon started, until it is seen to exit: what a restarted daemon
   -- must adopt or stop, so that nothing is started twice or left behind
   CREATE TABLE processes (
     pid        INTEGER NOT NULL,
     proc_start INTEGER NOT NULL,
     name       TEXT    NOT NULL,
     spawned_ms INTEGER NOT NULL,
     exited_ms  INTEGER,
     PRIMARY KEY (pid, proc_start)
   );
   CREATE INDEX processes_running ON processes (exited_ms) WHERE exited_ms IS NULL;`,
  // a pid and its start time (ticks since boot) name one process only within one boot: after a
  // reboot an unrelated process can have both, so the boot is part of the identity
  `ALTER TABLE processes ADD COLUMN boot_id TEXT;`,
  // the wait of a backoff (failed start, crash loop), and whether an exit was expected: said by
  // the machine once, so that no reader (tm log, alerts) re-derives the rules
  `ALTER TABLE events ADD COLUMN wait_ms INTEGER;
   ALTER TABLE events ADD COLUMN expected INTEGER;`,
  // The log as the record (issue 8): besides transitions it holds what was asked over the wire
  // (kind 'action', with the client) and the daemon's own life (kind 'daemon', no instance), so
  // name and from/to may be null. And a summary row per instance, kept by a trigger in the same
  // transaction as each insert: its last state and the last start or stop a user asked for, so a
  // start of the daemon reads one row per instance however long the history is, and the count
  // of its rows, which retention prunes against.
  `CREATE TABLE events_v4 (
     seq        INTEGER PRIMARY KEY AUTOINCREMENT,
     at_ms      INTEGER NOT NULL,
     kind       TEXT    NOT NULL DEFAULT 'transition',
     name       TEXT,
     from_state TEXT,
     to_state   TEXT,
     cause      TEXT    NOT NULL,
     pid        INTEGER,
     exit_code  INTEGER,
     signal     TEXT,
     retries    INTEGER NOT NULL DEFAULT 0,
     message    TEXT,
     revision   INTEGER NOT NULL,
     wait_ms    INTEGER,
     expected   INTEGER,
     action     TEXT,
     client     TEXT
   );
   INSERT INTO events_v4 (seq, at_ms, name, from_state, to_state, cause, pid, exit_code, signal,
                          retries, message, revision, wait_ms, expected)
     SELECT seq, at_ms, name, from_state, to_state, cause, pid, exit_code, signal,
            retries, message, revision, wait_ms, expected FROM events;
   DROP TABLE events;
   ALTER TABLE events_v4 RENAME TO events;
   CREATE INDEX events_by_name ON events (name, seq);
   CREATE INDEX events_by_time ON events (at_ms);
   CREATE INDEX events_daemon ON events (seq) WHERE kind = 'daemon';
   CREATE TABLE instances (
     name     TEXT    PRIMARY KEY,
     last_seq INTEGER NOT NULL,
     state    TEXT,
     retries  INTEGER NOT NULL DEFAULT 0,
     at_ms    INTEGER NOT NULL,
     intent   TEXT,
     rows     INTEGER NOT NULL DEFAULT 0
   );
   INSERT INTO instances (name, last_seq, state, retries, at_ms, rows)
     SELECT e.name, e.seq, e.to_state, e.retries, e.at_ms, c.n
     FROM events e JOIN (SELECT name, MAX(seq) AS last, COUNT(*) AS n FROM events GROUP BY name) c
       ON e.seq = c.last;
   UPDATE instances SET intent = (
     SELECT CASE to_state WHEN 'starting' THEN 'start' ELSE 'stop' END FROM events
     WHERE events.name = instances.name AND cause = 'user'
       AND to_state IN ('starting', 'stopping', 'stopped')
     ORDER BY seq DESC LIMIT 1);
   CREATE TRIGGER events_summary AFTER INSERT ON events WHEN NEW.name IS NOT NULL BEGIN
     INSERT INTO instances (name, last_seq, state, retries, at_ms, intent, rows)
       VALUES (NEW.name, NEW.seq,
               CASE WHEN NEW.kind = 'transition' THEN NEW.to_state END,
               NEW.retries, NEW.at_ms,
               CASE WHEN NEW.kind = 'transition' AND NEW.cause = 'user'
                     AND NEW.to_state IN ('starting', 'stopping', 'stopped')
                    THEN CASE NEW.to_state WHEN 'starting' THEN 'start' ELSE 'stop' END END,
               1)
     ON CONFLICT (name) DO UPDATE SET
       rows = rows + 1,
       last_seq = CASE WHEN NEW.kind = 'transition' THEN excluded.last_seq ELSE last_seq END,
       state = COALESCE(excluded.state, state),
       retries = CASE WHEN NEW.kind = 'transition' THEN excluded.retries ELSE retries END,
       at_ms = CASE WHEN NEW.kind = 'transition' THEN excluded.at_ms ELSE at_ms END,
       intent = COALESCE(excluded.intent, intent);
   END;`,
  // The alert cursor (issue 9): every row up to `seq` has been mailed, or was no alert. One row;
  // `stream` is a random id put in each mail's Message-ID, so that a mail sent again after a
  // crash has the same id, and two event logs never make the same one.
  `CREATE TABLE alert_cursor (
     id     INTEGER PRIMARY KEY CHECK (id = 1),
     seq    INTEGER NOT NULL,
     stream TEXT    NOT NULL,
     at_ms  INTEGER NOT NULL
   );`,
];

/**
 * Opens (creating if needed) the SQLite event log. WAL lets `tm log` read while the daemon
 * writes; synchronous=NORMAL keeps every committed row across a crash of the daemon (only a
 * power loss can take the last ones), at a fraction of FULL's cost per transition.
 */
export function openEventDb(file: string): EventDb {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  // Each committed transition adds ~3 pages (12 KiB) to the WAL: with the default checkpoint at
  // 1000 pages the WAL alone would take 4 MiB, enough to fill a small disk by itself, after which
  // no checkpoint can run (it needs room to grow the database by a page). Checkpoint sooner, and
  // cut the file back after each.
  db.pragma(`wal_autocheckpoint = ${WAL_CHECKPOINT_PAGES}`);
  db.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT}`);
  try {
    migrate(db);
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}

/** Pages in the WAL that trigger a checkpoint (~400 KiB; SQLite's default is 1000). */
const WAL_CHECKPOINT_PAGES = 100;
/** Bytes the WAL file is cut back to after a checkpoint. */
const WAL_SIZE_LIMIT = 512 * 1024;

/**
 * Frees what SQLite holds back after a failed write: the WAL is checkpointed into the database and
 * truncated. On a small disk the WAL alone can fill it (it is checkpointed only at ~4 MiB), so a
 * write that failed for want of space may succeed after this, once any space is back.
 */
export function relieveEventDb(db: EventDb): void {
  db.pragma('wal_checkpoint(TRUNCATE)');
}

function migrate(db: EventDb): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > MIGRATIONS.length) {
    throw new Error(
      `event log ${db.name} has schema version ${version}, newer than this taskmaster knows (${MIGRATIONS.length}): upgrade taskmaster or point daemon.eventlog elsewhere`,
    );
  }
  db.transaction(() => {
    for (let v = version; v < MIGRATIONS.length; v++) db.exec(MIGRATIONS[v]!);
    db.pragma(`user_version = ${MIGRATIONS.length}`);
  })();
}
