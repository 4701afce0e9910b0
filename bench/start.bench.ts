import { readFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bench, describe } from 'vitest';
import { Daemon } from '../src/daemon/daemon.js';
import { openEventDb } from '../src/eventlog/db.js';
import { RpcConnection } from '../src/rpc/connection.js';

/**
 * Issue 8: the daemon's start does not depend on the history's length. A million events of 100
 * instances in the log; from opening the daemon to the answer of a first `status` over TCP.
 */
const EVENTS = 1_000_000;
const INSTANCES = 100;

const dir = mkdtempSync(join(tmpdir(), 'tm-bench-start-'));
const config = join(dir, 'config.yaml');
const eventlog = join(dir, 'taskmaster.db');
writeFileSync(
  config,
  `programs:\n  s:\n    cmd: sleep 1000\n    numprocs: ${INSTANCES}\n    autostart: false\n` +
    `server:\n  port: 0\n`,
);
{
  const db = openEventDb(eventlog);
  db.prepare("INSERT INTO revisions (at_ms, file, summary) VALUES (0, ?, 'start: s')").run(config);
  const insert = db.prepare(
    `INSERT INTO events (at_ms, name, from_state, to_state, cause, retries, revision)
     VALUES (?, ?, ?, ?, 'exit', 0, 1)`,
  );
  const states = ['starting', 'running', 'exited'] as const;
  db.transaction(() => {
    for (let i = 0; i < EVENTS; i++) {
      const to = states[i % 3]!;
      const from = states[(i + 2) % 3]!;
      insert.run(i, `s:${i % INSTANCES}`, from, to);
    }
  })();
  db.close();
}

async function startToStatus(): Promise<void> {
  const daemon = Daemon.open({ configFile: config, echo: null });
  const { port } = await daemon.listen();
  daemon.boot();
  const token = readFileSync(join(dir, 'taskmaster.token'), 'utf8').trim();
  const tm = await RpcConnection.open({ host: '127.0.0.1', port }, token);
  const rows = await tm.call('status', { names: [] });
  if (rows.length !== INSTANCES) throw new Error(`status gave ${rows.length} rows`);
  tm.close();
  await daemon.shutdown();
}

/** What the start read before the summary table: the last row and the last intent of each name. */
function recoverByScan(): void {
  const db = openEventDb(eventlog);
  db.prepare(
    'SELECT name, to_state FROM events WHERE seq IN (SELECT MAX(seq) FROM events GROUP BY name)',
  ).all();
  db.prepare(
    `SELECT name, to_state FROM events WHERE seq IN (SELECT MAX(seq) FROM events
     WHERE cause = 'user' AND to_state IN ('starting', 'stopping', 'stopped') GROUP BY name)`,
  ).all();
  db.close();
}

describe(`daemon start with ${EVENTS.toLocaleString('en')} events in the log`, () => {
  bench('open, listen, boot, and answer a first status over TCP', startToStatus, {
    iterations: 5,
    warmupIterations: 1,
  });
  bench('(before issue 8) recovery by scanning the events table', recoverByScan, {
    iterations: 5,
    warmupIterations: 1,
  });
});
