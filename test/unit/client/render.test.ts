import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  actionLines,
  asAsked,
  eventJson,
  eventLine,
  formatAgo,
  formatUptime,
  logLine,
  reloadLines,
  statusLines,
} from '../../../src/client/render.js';
import type { NoteRow, StoredEvent } from '../../../src/domain/types.js';
import type { ActionResult, InstanceStatus } from '../../../src/rpc/protocol.js';
import { makeStoredEvent } from '../../helpers/events.js';

const zone = process.env.TZ;
beforeAll(() => {
  process.env.TZ = 'UTC';
});
afterAll(() => {
  if (zone === undefined) delete process.env.TZ;
  else process.env.TZ = zone;
});

const NOW = Date.UTC(2026, 10, 24, 21, 25, 10, 703);

function row(
  over: Partial<InstanceStatus> & Pick<InstanceStatus, 'name' | 'state'>,
): InstanceStatus {
  const [program = '', index = '0'] = over.name.split(':');
  return {
    program,
    index: Number(index),
    pid: null,
    since: null,
    exitcode: null,
    signal: null,
    retries: 0,
    spawnerror: null,
    ...over,
  };
}

const event = (over: Partial<StoredEvent>) => makeStoredEvent({ atMs: NOW, ...over });

describe('statusLines', () => {
  it('prints one supervisorctl-like line per instance', () => {
    const rows = [
      row({ name: 'web:0', state: 'running', pid: 1234, since: NOW - 62_000 }),
      row({
        name: 'bad:0',
        state: 'fatal',
        retries: 1,
        spawnerror: 'no such file: /usr/bin/nope',
        since: NOW - 5000,
      }),
      row({ name: 'job:0', state: 'exited', exitcode: 3, since: NOW - 150_000 }),
      row({ name: 'cron:0', state: 'exited', signal: 'SIGKILL', since: NOW - 3_700_000 }),
      row({ name: 'idle:0', state: 'stopped' }),
      row({ name: 'old:0', state: 'stopped', signal: 'SIGTERM', since: NOW - 5000 }),
      row({ name: 'flap:0', state: 'backoff', exitcode: 1, retries: 2, since: NOW }),
      row({
        name: 'nope:0',
        state: 'backoff',
        retries: 1,
        spawnerror: 'workingdir does not exist: /srv/nope',
      }),
      row({ name: 'slow:0', state: 'starting', pid: 77, retries: 1 }),
      row({ name: 'bye:0', state: 'stopping', pid: 78 }),
      row({ name: 'gone:0', state: 'fatal', exitcode: 2 }),
    ];
    expect(statusLines(rows, NOW)).toEqual([
      'web:0      running   pid 1234, uptime 0:01:02',
      'bad:0      fatal     spawn error: no such file: /usr/bin/nope',
      'job:0      exited    exit code 3, 2 min ago',
      'cron:0     exited    killed by SIGKILL, 1 h ago',
      'idle:0     stopped   not started',
      'old:0      stopped   5 s ago',
      'flap:0     backoff   exit code 1, retries 2',
      'nope:0     backoff   spawn error: workingdir does not exist: /srv/nope, retries 1',
      'slow:0     starting  pid 77, retries 1',
      'bye:0      stopping  pid 78',
      'gone:0     fatal     exit code 2',
    ]);
  });

  it('widens the name column to the longest name', () => {
    const rows = [
      row({ name: 'a-long-program-name:10', state: 'stopped' }),
      row({ name: 'web:0', state: 'running', pid: 1 }),
    ];
    expect(statusLines(rows, NOW)).toEqual([
      'a-long-program-name:10 stopped   not started',
      'web:0                  running   pid 1',
    ]);
  });

  it('colours only the state, and only when asked', () => {
    const rows = [
      row({ name: 'web:0', state: 'running', pid: 1 }),
      row({ name: 'bad:0', state: 'fatal', exitcode: 1 }),
      row({ name: 'idle:0', state: 'stopped' }),
    ];
    expect(statusLines(rows, NOW, true)).toEqual([
      'web:0      \u001b[32mrunning\u001b[0m   pid 1',
      'bad:0      \u001b[31mfatal\u001b[0m     exit code 1',
      'idle:0     stopped   not started',
    ]);
  });
});

describe('times', () => {
  it('formats uptimes as supervisorctl does', () => {
    expect(formatUptime(0)).toBe('0:00:00');
    expect(formatUptime(62_999)).toBe('0:01:02');
    expect(formatUptime(12 * 3_600_000)).toBe('12:00:00');
    expect(formatUptime(86_400_000 + 7_384_000)).toBe('1 day, 2:03:04');
    expect(formatUptime(3 * 86_400_000)).toBe('3 days, 0:00:00');
  });

  it('says how long ago, in the largest whole unit', () => {
    expect(formatAgo(-5)).toBe('0 s ago');
    expect(formatAgo(59_999)).toBe('59 s ago');
    expect(formatAgo(60_000)).toBe('1 min ago');
    expect(formatAgo(7_200_000)).toBe('2 h ago');
    expect(formatAgo(86_400_000)).toBe('1 day ago');
    expect(formatAgo(3 * 86_400_000)).toBe('3 days ago');
  });
});

describe('actionLines', () => {
  it('says each outcome, with ERROR before a failure', () => {
    expect(
      actionLines([
        { name: 'web:0', ok: true, message: 'started', code: null },
        {
          name: 'web:1',
          ok: false,
          message: 'spawn error: no such file: /usr/bin/nope',
          code: 'SPAWN_FAILED',
        },
      ]),
    ).toEqual(['web:0: started', 'web:1: ERROR spawn error: no such file: /usr/bin/nope']);
  });
});

// issue 10: `tm stop all` with some already stopped means "make it so", as systemctl stop
describe('asAsked', () => {
  const refused = (name: string, code: ActionResult['code'], message: string): ActionResult => ({
    name,
    ok: false,
    message,
    code,
  });

  it('counts an instance already stopped, or already started, as done; keeps the code', () => {
    const stopped = { name: 'web:0', ok: true, message: 'stopped', code: null };
    expect(asAsked('stop', [stopped, refused('web:1', 'NOT_RUNNING', 'not running')])).toEqual([
      stopped,
      { name: 'web:1', ok: true, message: 'already stopped', code: 'NOT_RUNNING' },
    ]);
    expect(asAsked('start', [refused('web:0', 'ALREADY_STARTED', 'already started')])).toEqual([
      { name: 'web:0', ok: true, message: 'already started', code: 'ALREADY_STARTED' },
    ]);
    expect(actionLines(asAsked('stop', [refused('web:1', 'NOT_RUNNING', 'not running')]))).toEqual([
      'web:1: already stopped',
    ]);
  });

  it('leaves real failures failed', () => {
    const failures = [
      refused('web:0', 'SPAWN_FAILED', 'spawn error: no such file: /usr/bin/nope'),
      // a start whose instance was stopped by somebody else before it ran
      refused('web:1', 'NOT_RUNNING', 'stopped (user) before it was running'),
    ];
    expect(asAsked('start', failures)).toEqual(failures);
    expect(asAsked('restart', failures)).toEqual(failures);
    const stopRefused = [refused('web:0', 'ALREADY_STARTED', 'already started')];
    expect(asAsked('stop', stopRefused)).toEqual(stopRefused);
  });
});

describe('reloadLines', () => {
  const none = { summary: '', revision: 3, added: [], removed: [], restarted: [], updated: [] };

  it('says what was applied, one kind a line', () => {
    expect(
      reloadLines({
        ...none,
        added: ['api', 'db'],
        removed: ['old'],
        restarted: ['web'],
        updated: ['worker'],
      }),
    ).toEqual([
      'config reloaded (revision 3)',
      'added: api, db',
      'removed: old',
      'restarted: web',
      'updated in place: worker',
    ]);
  });

  it('says when nothing changed', () => {
    expect(reloadLines(none)).toEqual(['config reloaded (revision 3)', 'no change']);
  });
});

describe('events', () => {
  it('prints a transition with its time, then pid, exit and message when there are', () => {
    expect(eventLine(event({}))).toBe(
      '2026-11-24 21:25:10.703  web:0  stopped -> starting  (autostart)',
    );
    expect(eventLine(event({ from: 'starting', to: 'running', cause: 'timeout', pid: 42 }))).toBe(
      '2026-11-24 21:25:10.703  web:0  starting -> running  (timeout)  pid 42',
    );
    expect(
      eventLine(event({ from: 'running', to: 'exited', cause: 'exit', pid: 42, exitCode: 3 })),
    ).toBe('2026-11-24 21:25:10.703  web:0  running -> exited  (exit)  pid 42, exit code 3');
    expect(
      eventLine(
        event({ from: 'stopping', to: 'stopped', cause: 'user', pid: 42, signal: 'SIGTERM' }),
      ),
    ).toBe(
      '2026-11-24 21:25:10.703  web:0  stopping -> stopped  (user)  pid 42, killed by SIGTERM',
    );
    expect(
      eventLine(
        event({
          from: 'starting',
          to: 'backoff',
          cause: 'spawn-error',
          message: 'no such file: /usr/bin/nope',
        }),
      ),
    ).toBe(
      '2026-11-24 21:25:10.703  web:0  starting -> backoff  (spawn-error)  no such file: /usr/bin/nope',
    );
    expect(
      eventLine(event({ from: 'exited', to: 'backoff', cause: 'crash-loop', waitMs: 400 })),
    ).toBe('2026-11-24 21:25:10.703  web:0  exited -> backoff  (crash-loop)  waits 0.4 s');
  });

  it('gives --json the names of docs/tm.md', () => {
    expect(eventJson(event({ seq: 7, pid: 42, exitCode: 3, revision: 2 }))).toEqual({
      seq: 7,
      time: NOW,
      name: 'web:0',
      from: 'stopped',
      to: 'starting',
      cause: 'autostart',
      pid: 42,
      exitcode: 3,
      signal: null,
      retries: 0,
      message: null,
      waitms: null,
      expected: null,
      revision: 2,
    });
  });
});

describe('action and daemon rows (issue 8)', () => {
  const note = (over: Partial<NoteRow>): NoteRow => ({
    kind: 'action',
    seq: 9,
    atMs: NOW,
    name: 'web:3',
    action: 'stop asked',
    client: 'tm 0.1.0@127.0.0.1:41234',
    message: 'names=web wait=true',
    revision: 1,
    ...over,
  });

  it('says who asked an action, and how it went, without repeating who', () => {
    expect(logLine(note({}))).toBe(
      '2026-11-24 21:25:10.703  web:3  stop asked by tm 0.1.0@127.0.0.1:41234  names=web wait=true',
    );
    expect(logLine(note({ action: 'stop ok', message: 'stopped' }))).toBe(
      '2026-11-24 21:25:10.703  web:3  stop ok  stopped',
    );
    expect(logLine(note({ action: 'stop failed', message: 'NOT_RUNNING: not running' }))).toBe(
      '2026-11-24 21:25:10.703  web:3  stop failed  NOT_RUNNING: not running',
    );
  });

  it("puts an action on the whole daemon, and the daemon's own rows, under taskmasterd", () => {
    expect(logLine(note({ name: null, action: 'reload asked', message: null }))).toBe(
      '2026-11-24 21:25:10.703  taskmasterd  reload asked by tm 0.1.0@127.0.0.1:41234',
    );
    expect(
      logLine(note({ kind: 'daemon', name: null, action: 'started', client: null, message: 'v' })),
    ).toBe('2026-11-24 21:25:10.703  taskmasterd  started  v');
  });
});
