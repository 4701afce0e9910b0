import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { runClient } from '../../../src/client/cli.js';
import type { Io } from '../../../src/client/command.js';
import { logLine } from '../../../src/client/render.js';
import type { LogRow } from '../../../src/domain/types.js';
import { VERSION } from '../../../src/domain/version.js';
import { openEventDb } from '../../../src/eventlog/db.js';
import { queryLog } from '../../../src/eventlog/query.js';
import { RpcConnection } from '../../../src/rpc/connection.js';
import { waitUntil } from '../../helpers/daemon-process.js';
import { TestDaemon, fixture, isAlive } from '../../helpers/test-daemon.js';

/**
 * Issue 8: control actions are events. Each start/stop/restart/signal/reload/shutdown asked over
 * the wire leaves a row before it is acted on (with the client and the arguments) and its
 * outcome after, for each instance it reaches; tm log shows them beside the transitions.
 */

const CONFIG = `programs:
  web:
    cmd: "${fixture('exit-on-usr1.sh')}"
    numprocs: 2
    starttime: 0.1
    stoptime: 1
server:
  port: 0
`;

/** `isShutDownByTest`: the test shuts the daemon down itself and checks what is left. */
async function daemonOnPort(isShutDownByTest = false) {
  const td = TestDaemon.start(CONFIG);
  if (!isShutDownByTest) onTestFinished(() => td.stop());
  await Promise.all([td.waitState('web:0', 'running'), td.waitState('web:1', 'running')]);
  const { port } = await td.daemon.listen();
  const token = readFileSync(join(td.dir, 'taskmaster.token'), 'utf8').trim();
  const open = async (client: string | null = 'audit-test 1.0') => {
    const c = await RpcConnection.open({ host: '127.0.0.1', port }, token, undefined, client);
    onTestFinished(() => c.close());
    return c;
  };
  return { td, port, open };
}

/** The newest row's seq: the rows of what a test does next come after it. */
function mark(td: TestDaemon): number {
  return td.daemon.logRows({ limit: 1 }).at(-1)?.seq ?? 0;
}

/**
 * Rows after `after` as `name  what`, the client's port written PORT (it is checked to be the
 * same on every row of one test's client).
 */
function rowsAfter(td: TestDaemon, after: number): string[] {
  return td.daemon.logRows({ afterSeq: after }).map(brief);
}

function brief(row: LogRow): string {
  if (row.kind === 'transition') return `${row.name}  ${row.from} -> ${row.to} (${row.cause})`;
  const who = row.client === null ? '' : `  [${row.client.replace(/:\d+$/, ':PORT')}]`;
  return `${row.name ?? 'taskmasterd'}  ${row.action}${who}  ${row.message ?? ''}`.trimEnd();
}

const BY = '[audit-test 1.0@127.0.0.1:PORT]';

describe('control actions in the event log', () => {
  it('a stop: asked before the transitions it caused, its outcome after; again, it fails on record', async () => {
    const { td, open } = await daemonOnPort();
    const client = await open();
    let from = mark(td);
    expect(await client.call('stop', { names: ['web:0'], wait: true })).toEqual([
      { name: 'web:0', ok: true, message: 'stopped', code: null },
    ]);
    expect(rowsAfter(td, from)).toEqual([
      `web:0  stop asked  ${BY}  names=web:0 wait=true`,
      'web:0  running -> stopping (user)',
      'web:0  stopping -> stopped (user)',
      `web:0  stop ok  ${BY}  stopped`,
    ]);
    from = mark(td);
    await client.call('stop', { names: ['web:0'], wait: true });
    expect(rowsAfter(td, from)).toEqual([
      `web:0  stop asked  ${BY}  names=web:0 wait=true`,
      `web:0  stop failed  ${BY}  NOT_RUNNING: not running`,
    ]);
    // the client's address is the peer of the connection: one port for all its rows
    const ports = new Set(
      td.daemon
        .logRows({ names: ['web:0'] })
        .flatMap((r) => (r.kind === 'action' ? [/:(\d+)$/.exec(r.client!)![1]] : [])),
    );
    expect(ports.size).toBe(1);
  });

  it('a start reaching instances already started: a row each, asked then failed, and nothing between', async () => {
    const { td, open } = await daemonOnPort();
    const client = await open();
    const from = mark(td);
    await client.call('start', { names: ['web'], wait: true });
    expect(rowsAfter(td, from)).toEqual([
      `web:0  start asked  ${BY}  names=web wait=true`,
      `web:1  start asked  ${BY}  names=web wait=true`,
      `web:0  start failed  ${BY}  ALREADY_STARTED: already started`,
      `web:1  start failed  ${BY}  ALREADY_STARTED: already started`,
    ]);
  });

  it('a start of an unknown name: rows with no name, with the typed error', async () => {
    const { td, open } = await daemonOnPort();
    const client = await open();
    const from = mark(td);
    await expect(client.call('start', { names: ['nosuch'], wait: true })).rejects.toMatchObject({
      code: 'NO_SUCH_PROGRAM',
      message: 'no such program: nosuch',
    });
    expect(rowsAfter(td, from)).toEqual([
      `taskmasterd  start asked  ${BY}  names=nosuch wait=true`,
      `taskmasterd  start failed  ${BY}  NO_SUCH_PROGRAM: no such program: nosuch`,
    ]);
  });

  it('a restart: asked, the stop and the start, then restarted', async () => {
    const { td, open } = await daemonOnPort();
    const client = await open();
    const from = mark(td);
    await client.call('restart', { names: ['web:1'], wait: true });
    expect(rowsAfter(td, from)).toEqual([
      `web:1  restart asked  ${BY}  names=web:1 wait=true`,
      'web:1  running -> stopping (user)',
      'web:1  stopping -> stopped (user)',
      'web:1  stopped -> starting (user)',
      'web:1  starting -> running (timeout)',
      `web:1  restart ok  ${BY}  restarted`,
    ]);
  });

  it('a signal leaves a row: its outcome before the exit it caused; an unknown signal and a stopped instance fail on record', async () => {
    const { td, open } = await daemonOnPort();
    const client = await open();
    let from = mark(td);
    const exited = td.waitState('web:0', 'exited', from);
    expect(await client.call('signal', { signal: 'USR1', names: ['web:0'] })).toEqual([
      { name: 'web:0', ok: true, message: 'signalled SIGUSR1', code: null },
    ]);
    await exited;
    expect(rowsAfter(td, from)).toEqual([
      `web:0  signal asked  ${BY}  signal=USR1 names=web:0`,
      `web:0  signal ok  ${BY}  signalled SIGUSR1`,
      'web:0  running -> exited (exit)',
    ]);

    from = mark(td);
    await client.call('signal', { signal: 'USR1', names: ['web:0'] });
    await expect(client.call('signal', { signal: 'NOPE', names: ['web:1'] })).rejects.toMatchObject(
      { code: 'BAD_PARAMS' },
    );
    expect(rowsAfter(td, from)).toEqual([
      `web:0  signal asked  ${BY}  signal=USR1 names=web:0`,
      `web:0  signal failed  ${BY}  NOT_RUNNING: not running`,
      `taskmasterd  signal asked  ${BY}  signal=NOPE names=web:1`,
      `taskmasterd  signal failed  ${BY}  BAD_PARAMS: unknown signal: NOPE`,
    ]);
  });

  it('a reload is an action on the whole daemon: no name, its revision, or why it was refused', async () => {
    const { td, open } = await daemonOnPort();
    const client = await open();
    let from = mark(td);
    await client.call('reload', {});
    expect(rowsAfter(td, from)).toEqual([
      `taskmasterd  reload asked  ${BY}`,
      `taskmasterd  reload ok  ${BY}  revision 2: no change`,
    ]);
    td.writeConfig(
      CONFIG.replace('numprocs: 2', 'numprocs: many').replace('stoptime: 1', 'stoptime: -1'),
    );
    from = mark(td);
    const refused = client.call('reload', {});
    await expect(refused).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    const { message } = (await refused.catch((e: unknown) => e)) as Error;
    expect(rowsAfter(td, from)).toEqual([
      `taskmasterd  reload asked  ${BY}`,
      `taskmasterd  reload failed  ${BY}  CONFIG_INVALID: ${message.split('\n').join('; ')}`,
    ]);
    // the whole daemon's rows are in tm log without names, not in an instance's
    expect(td.daemon.logRows({ names: ['web:0'], afterSeq: from })).toEqual([]);
  });

  it('a client that gave no name is unknown, at its address', async () => {
    const { td, open } = await daemonOnPort();
    const client = await open(null);
    const from = mark(td);
    await client.call('stop', { names: ['web:1'], wait: false });
    const rows = td.daemon
      .logRows({ afterSeq: from })
      .flatMap((r) => (r.kind === 'action' ? [r] : []));
    expect(rows.map((r) => [r.action, r.client])).toEqual([
      ['stop asked', expect.stringMatching(/^unknown@127\.0\.0\.1:\d+$/)],
      ['stop ok', expect.stringMatching(/^unknown@127\.0\.0\.1:\d+$/)],
    ]);
    expect(rows.map((r) => r.message)).toEqual(['names=web:1 wait=false', 'stopping']);
  });

  it('a shutdown: asked, then begun once the stops have begun, and the daemon stopped last', async () => {
    const { td, open } = await daemonOnPort(true);
    const pids = td.pids();
    const client = await open();
    const from = mark(td);
    await client.call('shutdown', {});
    await td.daemon.stopped;
    expect(pids.filter(isAlive)).toEqual([]);
    const db = openEventDb(join(td.dir, 'taskmaster.db'));
    onTestFinished(() => void db.close());
    const rows = queryLog(db, { afterSeq: from }).map(brief);
    expect(rows[0]).toBe(`taskmasterd  shutdown asked  ${BY}`);
    expect(rows.at(-1)).toBe('taskmasterd  stopped  shutdown');
    // the stops of the priority level begin in the same turn as the shutdown itself
    expect(rows.filter((r) => !r.startsWith('web:1'))).toEqual([
      `taskmasterd  shutdown asked  ${BY}`,
      'web:0  running -> stopping (shutdown)',
      `taskmasterd  shutdown ok  ${BY}  stopping every instance`,
      'web:0  stopping -> stopped (shutdown)',
      'taskmasterd  stopped  shutdown',
    ]);
  });
});

/** tm itself, in this process: its output, and a Ctrl-C the test presses. */
function tmIn(td: TestDaemon, port: number, ...args: string[]) {
  let out = '';
  let interrupt: () => void = () => {};
  const io: Io = {
    stdout: (t) => void (out += t),
    stderr: (t) => void (out += t),
    isTTY: false,
    env: {},
    now: () => Date.now(),
    onInterrupt: (handler) => {
      interrupt = handler;
      return () => (interrupt = () => {});
    },
  };
  const code = runClient(['-c', td.configFile, '--port', String(port), ...args], VERSION, io);
  return { code, lines: () => out.split('\n').slice(0, -1), interrupt: () => interrupt() };
}

describe('tm log -f', () => {
  it('--limit 0 prints only the new events: the action, what it caused, its outcome', async () => {
    const { td, port } = await daemonOnPort();
    const follow = tmIn(td, port, 'log', 'web:0', '-f', '--limit', '0');
    await waitUntil(() => td.daemon.streamCount === 1, 'tm log -f to follow');
    expect(await tmIn(td, port, 'stop', 'web:0').code).toBe(0);
    await waitUntil(() => follow.lines().length === 4, 'the four rows of the stop');
    follow.interrupt();
    expect(await follow.code).toBe(0);
    const at = String.raw`\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}`;
    expect(follow.lines()).toEqual([
      expect.stringMatching(
        new RegExp(
          `^${at}  web:0  stop asked by tm ${VERSION}@127\\.0\\.0\\.1:\\d+  names=web:0 wait=true$`,
        ),
      ),
      expect.stringMatching(
        new RegExp(`^${at}  web:0  running -> stopping  \\(user\\)  pid \\d+$`),
      ),
      expect.stringMatching(
        new RegExp(`^${at}  web:0  stopping -> stopped  \\(user\\)  pid \\d+, killed by SIGTERM$`),
      ),
      expect.stringMatching(new RegExp(`^${at}  web:0  stop ok  stopped$`)),
    ]);
  });

  it('starts with the newest 10 rows by default', async () => {
    const { td, port } = await daemonOnPort();
    expect(await tmIn(td, port, 'restart', 'web').code).toBe(0);
    const history = td.daemon.logRows({});
    // the daemon's start, four transitions of the boot, then the restart's
    expect(history.length).toBeGreaterThan(10);
    const follow = tmIn(td, port, 'log', '-f');
    await waitUntil(() => follow.lines().length >= 10, 'the history to be printed');
    // the history is printed in one go: what is there is all of it
    follow.interrupt();
    expect(await follow.code).toBe(0);
    expect(follow.lines()).toEqual(history.slice(-10).map(logLine));
  });
});
