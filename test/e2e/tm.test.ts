import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  program,
  programs,
  Sandbox,
  waitUntil,
  type DaemonProcess,
} from '../helpers/daemon-process.js';
import { isAlive } from '../helpers/test-daemon.js';
import { runTm, spawnTm, startDaemon, unusedPort, type TmResult } from '../helpers/tm-process.js';

/**
 * The built `tm` against the built taskmasterd, both as processes (issue 3, docs/tm.md): every
 * command in text and --json, every exit status, and what each did to the daemon, checked on
 * its event log and on the processes themselves.
 */

/** web:0/web:1 run; nginx waits for a user; bad cannot be spawned; job exits 3 after a while. */
const CONFIG = programs(
  program('web', 'numprocs: 2'),
  program('nginx', 'autostart: false'),
  program('bad', 'cmd: /usr/bin/nope', 'startretries: 0'),
  program('job', `cmd: "sh -c 'sleep 0.3; exit 3'"`, 'autorestart: never'),
);

type Setup = {
  sandbox: Sandbox;
  daemon: DaemonProcess;
  port: number;
  /** `tm -c config.yaml --port PORT ARGS…` */
  tm: (...args: string[]) => Promise<TmResult>;
};

/** A daemon on CONFIG (or `yaml`) in a new sandbox, once every instance has settled. */
async function setUp(yaml = CONFIG, settled = SETTLED): Promise<Setup> {
  const sandbox = Sandbox.create(yaml);
  const { daemon, port } = await startDaemon(sandbox);
  await Promise.all(settled.map(([name, state]) => sandbox.waitState(name, state)));
  const tm = (...args: string[]) =>
    runTm(sandbox, ['-c', 'config.yaml', '--port', String(port), ...args]);
  return { sandbox, daemon, port, tm };
}

const SETTLED: [string, string][] = [
  ['web:0', 'running'],
  ['web:1', 'running'],
  ['bad:0', 'fatal'],
  ['job:0', 'exited'],
];

/**
 * A line as tm prints it, written verbatim (column spaces included) with `#` for a number and
 * `@` for a `tm log` time stamp; anchored at both ends unless `whole` is false.
 */
function shape(text: string, whole = true): RegExp {
  const escaped = text
    .replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
    .replace(/#/g, '\\d+')
    .replace(/@/g, '\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{3}');
  return new RegExp(whole ? `^${escaped}$` : escaped);
}

const ok = (stdout: string): TmResult => ({ code: 0, signal: null, stdout, stderr: '' });
const failed = (stdout: string, stderr = ''): TmResult => ({
  code: 1,
  signal: null,
  stdout,
  stderr,
});

function json<T>(r: TmResult): T {
  return JSON.parse(r.stdout) as T;
}

/** The pid the daemon reports for an instance (from `tm status --json`). */
async function pidOf(s: Setup, name: string): Promise<number | null> {
  return json<{ pid: number | null }[]>(await s.tm('status', name, '--json'))[0]!.pid;
}

describe('tm status', () => {
  it('prints a line per instance: pid and uptime, spawn error, exit code', async () => {
    const s = await setUp();
    const r = await s.tm('status');
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(5);
    expect(lines[0]).toMatch(shape('web:0      running   pid #, uptime 0:00:0#'));
    expect(lines[1]).toMatch(shape('web:1      running   pid #, uptime 0:00:0#'));
    expect(lines.slice(2)).toEqual([
      'nginx:0    stopped   not started',
      'bad:0      fatal     spawn error: no such file: /usr/bin/nope',
      expect.stringMatching(shape('job:0      exited    exit code 3, # s ago')) as string,
    ]);
    // the pids are those of the processes the daemon runs for them
    const pid = Number(/pid (\d+)/.exec(lines[0]!)![1]);
    expect(s.sandbox.processesOf('web:0')).toEqual([pid]);
  });

  it('--json prints the fields of docs/tm.md for the instances named', async () => {
    const s = await setUp();
    const before = Date.now();
    const r = await s.tm('status', 'web', 'bad:0', 'job', '--json');
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const rows = json<Record<string, unknown>[]>(r);
    expect(rows.map((row) => Object.keys(row).sort())).toEqual(
      Array(4).fill(
        [
          'exitcode',
          'index',
          'name',
          'pid',
          'program',
          'retries',
          'since',
          'signal',
          'spawnerror',
          'state',
        ].sort(),
      ),
    );
    expect(rows).toEqual([
      {
        name: 'web:0',
        program: 'web',
        index: 0,
        state: 'running',
        pid: s.sandbox.processesOf('web:0')[0],
        since: expect.any(Number) as number,
        exitcode: null,
        signal: null,
        retries: 0,
        spawnerror: null,
      },
      expect.objectContaining({ name: 'web:1', index: 1, state: 'running' }) as object,
      expect.objectContaining({
        name: 'bad:0',
        program: 'bad',
        state: 'fatal',
        pid: null,
        spawnerror: 'no such file: /usr/bin/nope',
      }) as object,
      expect.objectContaining({ name: 'job:0', state: 'exited', pid: null, exitcode: 3 }) as object,
    ]);
    const since = rows[0]!.since as number;
    expect(since).toBeLessThanOrEqual(before);
    expect(since).toBe(s.sandbox.events({ names: ['web:0'] }).at(-1)!.atMs);
  });

  // issue 10: an instance added by a reload was listed after the other programs
  it('lists instances by program in config order, then by index, after a reload too', async () => {
    const s = await setUp(programs(program('web'), program('api')), [
      ['web:0', 'running'],
      ['api:0', 'running'],
    ]);
    s.sandbox.writeConfig(
      programs(program('cron', 'autostart: false'), program('web', 'numprocs: 2'), program('api')),
    );
    const mark = s.sandbox.lastSeq();
    expect((await s.tm('reload')).code).toBe(0);
    await s.sandbox.waitState('web:1', 'running', mark);
    const order = ['cron:0', 'web:0', 'web:1', 'api:0'];
    const rows = json<{ name: string }[]>(await s.tm('status', '--json'));
    expect(rows.map((r) => r.name)).toEqual(order);
    const text = await s.tm('status');
    expect(
      text.stdout
        .trimEnd()
        .split('\n')
        .map((l) => l.split(' ')[0]),
    ).toEqual(order);
  });

  it('finds the daemon through TM_CONFIG as through -c', async () => {
    const s = await setUp();
    const r = await runTm(s.sandbox, ['status', 'web:0', '--port', String(s.port)], {
      env: { TM_CONFIG: s.sandbox.configFile },
    });
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(shape('web:0      running   pid #, uptime 0:00:0#\n'));
  });

  it('exits 1 on an unknown name, with a did-you-mean', async () => {
    const s = await setUp();
    expect(await s.tm('status', 'ngnix')).toEqual(
      failed('', 'tm: no such program: ngnix (did you mean nginx?)\n'),
    );
    expect(await s.tm('status', 'web:7')).toEqual(
      failed('', 'tm: no such instance: web:7 (web has web:0 to web:1)\n'),
    );
  });
});

describe('tm start, stop, restart', () => {
  it('wait for the outcome and say it per instance', async () => {
    const s = await setUp();
    const oldPids = s.sandbox.processesOf('web:0');

    expect(await s.tm('stop', 'web:0')).toEqual(ok('web:0: stopped\n'));
    // stopped means the process is gone, not only asked to go
    expect(s.sandbox.processesOf('web:0')).toEqual([]);
    expect(isAlive(oldPids[0]!)).toBe(false);
    expect(await s.tm('stop', 'web:0')).toEqual(ok('web:0: already stopped\n'));

    expect(await s.tm('start', 'web:0')).toEqual(ok('web:0: started\n'));
    const pid = await pidOf(s, 'web:0');
    expect(s.sandbox.processesOf('web:0')).toEqual([pid]);
    expect(await s.tm('start', 'web:0')).toEqual(ok('web:0: already started\n'));

    const mark = s.sandbox.lastSeq();
    expect(await s.tm('restart', 'web')).toEqual(ok('web:0: restarted\nweb:1: restarted\n'));
    expect(await pidOf(s, 'web:0')).not.toBe(pid);
    expect(s.sandbox.history('web:0', mark)).toEqual([
      'running -> stopping (user)',
      'stopping -> stopped (user)',
      'stopped -> starting (user)',
      'starting -> running (timeout)',
    ]);
  });

  // issue 10: an operator, or a `set -e` script, means "make it so", as with systemctl stop
  it('count an instance already in the asked state as done; real failures still fail', async () => {
    const s = await setUp();
    expect(await s.tm('stop', 'web:1')).toEqual(ok('web:1: stopped\n'));
    // web:1 stopped, nginx:0 never started, bad:0 fatal, job:0 exited: none of them runs
    expect(await s.tm('stop', 'all')).toEqual(
      ok(
        'web:0: stopped\nweb:1: already stopped\nnginx:0: already stopped\n' +
          'bad:0: already stopped\njob:0: already stopped\n',
      ),
    );
    expect(json(await s.tm('stop', 'web:1', '--json'))).toEqual([
      { name: 'web:1', ok: true, message: 'already stopped', code: 'NOT_RUNNING' },
    ]);
    expect(await s.tm('start', 'web:0')).toEqual(ok('web:0: started\n'));
    expect(await s.tm('start', 'web', 'nginx')).toEqual(
      ok('web:0: already started\nweb:1: started\nnginx:0: started\n'),
    );
    expect(json(await s.tm('start', 'web:0', '--json'))).toEqual([
      { name: 'web:0', ok: true, message: 'already started', code: 'ALREADY_STARTED' },
    ]);
    expect(await s.tm('start', 'web:0', 'bad')).toEqual(
      failed('web:0: already started\nbad:0: ERROR spawn error: no such file: /usr/bin/nope\n'),
    );
    // a restart starts a stopped instance
    expect(await s.tm('stop', 'nginx')).toEqual(ok('nginx:0: stopped\n'));
    const mark = s.sandbox.lastSeq();
    expect(await s.tm('restart', 'nginx')).toEqual(ok('nginx:0: restarted\n'));
    expect(s.sandbox.history('nginx:0', mark)).toEqual([
      'stopped -> starting (user)',
      'starting -> running (timeout)',
    ]);
  });

  it('say a spawn error per instance, and exit 1 if any failed', async () => {
    const s = await setUp();
    expect(await s.tm('start', 'nginx', 'bad')).toEqual(
      failed('nginx:0: started\nbad:0: ERROR spawn error: no such file: /usr/bin/nope\n'),
    );
    expect(await s.tm('start', 'bad:0', '--json')).toEqual(
      failed(
        `${JSON.stringify(
          [
            {
              name: 'bad:0',
              ok: false,
              message: 'spawn error: no such file: /usr/bin/nope',
              code: 'SPAWN_FAILED',
            },
          ],
          null,
          2,
        )}\n`,
      ),
    );
    expect(json(await s.tm('stop', 'nginx:0', '--json'))).toEqual([
      { name: 'nginx:0', ok: true, message: 'stopped', code: null },
    ]);
    expect(await s.tm('start', 'ngnix')).toEqual(
      failed('', 'tm: no such program: ngnix (did you mean nginx?)\n'),
    );
  });

  it('--no-wait returns once the daemon has the order', async () => {
    const s = await setUp();
    const mark = s.sandbox.lastSeq();
    expect(await s.tm('stop', '--no-wait', 'web:1')).toEqual(ok('web:1: stopping\n'));
    await s.sandbox.waitState('web:1', 'stopped', mark);
    expect(await s.tm('start', 'web:1', '--no-wait')).toEqual(ok('web:1: starting\n'));
    await s.sandbox.waitState('web:1', 'running', mark);
    expect(await s.tm('restart', 'web:1', '--no-wait', '--json')).toEqual(
      ok(
        `${JSON.stringify([{ name: 'web:1', ok: true, message: 'starting', code: null }], null, 2)}\n`,
      ),
    );
  });
});

describe('tm signal', () => {
  it('sends a signal to the processes and says so per instance', async () => {
    const s = await setUp();
    const pid = (await pidOf(s, 'web:1'))!;
    const mark = s.sandbox.lastSeq();
    expect(await s.tm('signal', 'HUP', 'web:1')).toEqual(ok('web:1: signalled SIGHUP\n'));
    const exited = await s.sandbox.waitState('web:1', 'exited', mark);
    expect(exited).toMatchObject({ pid, signal: 'SIGHUP' });

    await s.sandbox.waitState('web:1', 'running', exited.seq);
    expect(json(await s.tm('signal', '-9', 'web:1', 'nginx', '--json'))).toEqual([
      { name: 'web:1', ok: true, message: 'signalled SIGKILL', code: null },
      { name: 'nginx:0', ok: false, message: 'not running', code: 'NOT_RUNNING' },
    ]);
    expect(await s.tm('signal', 'TERM', 'nginx:0')).toEqual(failed('nginx:0: ERROR not running\n'));
  });

  it('exits 2 on a signal the daemon does not know', async () => {
    const s = await setUp();
    expect(await s.tm('signal', 'BOGUS', 'web:0')).toEqual({
      code: 2,
      signal: null,
      stdout: '',
      stderr: 'tm: unknown signal: BOGUS\nhint: use a name like HUP, SIGUSR1, or a number\n',
    });
  });
});

describe('tm tail', () => {
  // issue 10: the window was cut at its next line start, which the end of a long line lacks
  it('--bytes N prints the end of lines longer than N, and its errors name --bytes', async () => {
    const s = await setUp(programs(program('long', 'autostart: false', 'stdout: long.out')), []);
    const line = (c: string) => `${c.repeat(299)}\n`;
    writeFileSync(s.sandbox.path('long.out'), line('a') + line('b'));
    expect(await s.tm('tail', 'long', '--bytes', '100')).toEqual(ok(`${'b'.repeat(99)}\n`));
    expect(await s.tm('tail', 'long', '--bytes', '300')).toEqual(ok(line('b')));
    expect(await s.tm('tail', 'long', '--bytes', '310')).toEqual(ok(line('b')));
    appendFileSync(s.sandbox.path('long.out'), 'c'.repeat(10));
    expect(await s.tm('tail', 'long', '--bytes', '100')).toEqual(ok('c'.repeat(10)));
    // out of range: a usage error naming the flag typed, not the protocol's params.bytes
    for (const bytes of ['524289', 'many']) {
      expect(await s.tm('tail', 'long', '--bytes', bytes)).toEqual({
        code: 2,
        signal: null,
        stdout: '',
        stderr: `tm: --bytes: expected a whole number from 0 to 524288, found "${bytes}"\n`,
      });
    }
  });
});

describe('tm pid', () => {
  it("prints the daemon's pid, one instance's pid alone, several as NAME PID", async () => {
    const s = await setUp();
    const [web0, web1] = [await pidOf(s, 'web:0'), await pidOf(s, 'web:1')];
    expect(await s.tm('pid')).toEqual(ok(`${s.daemon.pid}\n`));
    expect(await s.tm('pid', 'web:0')).toEqual(ok(`${web0}\n`));
    expect(await s.tm('pid', 'web')).toEqual(ok(`web:0 ${web0}\nweb:1 ${web1}\n`));
    expect(json(await s.tm('pid', '--json'))).toEqual({ daemon: s.daemon.pid });
    expect(json(await s.tm('pid', 'web:1', 'nginx', '--json'))).toEqual({
      daemon: s.daemon.pid,
      instances: [
        { name: 'web:1', pid: web1 },
        { name: 'nginx:0', pid: null },
      ],
    });
  });

  it('exits 1 for an instance that has no process', async () => {
    const s = await setUp();
    const web0 = await pidOf(s, 'web:0');
    expect(await s.tm('pid', 'nginx:0')).toEqual(failed('', 'tm: nginx:0: not running\n'));
    expect(await s.tm('pid', 'web:0', 'nginx')).toEqual(
      failed(`web:0 ${web0}\n`, 'tm: nginx:0: not running\n'),
    );
  });
});

describe('tm reload', () => {
  it('applies the new config and prints what changed, with the revision', async () => {
    const s = await setUp();
    const nginxMark = s.sandbox.lastSeq();
    expect(await s.tm('start', 'nginx')).toEqual(ok('nginx:0: started\n'));
    const nginxPid = await pidOf(s, 'nginx:0');
    s.sandbox.writeConfig(
      programs(
        program('web', 'numprocs: 2', 'cmd: sleep 1001'),
        program('nginx', 'autostart: false', 'stoptime: 2'),
        program('bad', 'cmd: /usr/bin/nope', 'startretries: 0'),
        program('api'),
      ),
    );
    const mark = s.sandbox.lastSeq();
    expect(await s.tm('reload')).toEqual(
      ok(
        [
          'config reloaded (revision 2)',
          'added: api',
          'removed: job',
          'restarted: web',
          'updated in place: nginx',
          '',
        ].join('\n'),
      ),
    );
    await s.sandbox.waitState('api:0', 'running', mark);
    await s.sandbox.waitState('web:1', 'running', mark);
    // updated in place: the same process
    expect(await pidOf(s, 'nginx:0')).toBe(nginxPid);
    expect(s.sandbox.history('nginx:0', nginxMark)).toEqual([
      'stopped -> starting (user)',
      'starting -> running (timeout)',
    ]);
    expect(await s.tm('status', 'job')).toEqual(failed('', 'tm: no such program: job\n'));

    expect(await s.tm('reload')).toEqual(ok('config reloaded (revision 3)\nno change\n'));
    expect(json(await s.tm('reload', '--json'))).toEqual({
      summary: 'no change',
      revision: 4,
      added: [],
      removed: [],
      restarted: [],
      updated: [],
    });
  });

  it('prints every problem of a refused config, changes nothing and exits 1', async () => {
    const s = await setUp();
    const before = await s.tm('status', '--json');
    // only the programs section is wrong: tm still reads the server section it needs
    s.sandbox.writeConfig(
      programs(program('web', 'numprocs: 2', 'umask: abc'), program('bad', 'numprocs: 0')),
    );
    const file = s.sandbox.configFile;
    expect(await s.tm('reload')).toEqual(
      failed(
        '',
        [
          'tm: reload refused, nothing changed:',
          `${file}:7:12: programs.web.umask: expected an octal number like 022, found "abc"`,
          `${file}:12:15: programs.bad.numprocs: expected an integer from 1 to 1000, found 0`,
          '',
        ].join('\n'),
      ),
    );
    const after = await s.tm('status', '--json');
    expect(json(after)).toEqual(json(before));
  });
});

describe('tm log', () => {
  it('prints the transitions oldest first, --limit the newest N', async () => {
    const s = await setUp();
    const r = await s.tm('log', 'web:0');
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const pid = await pidOf(s, 'web:0');
    expect(r.stdout.trimEnd().split('\n')).toEqual([
      expect.stringMatching(shape('@  web:0  stopped -> starting  (autostart)')),
      expect.stringMatching(shape(`@  web:0  starting -> running  (timeout)  pid ${pid}`)),
    ]);

    expect((await s.tm('log', 'bad', 'job')).stdout).toMatch(
      shape('@  bad:0  starting -> fatal  (spawn-error)  no such file: /usr/bin/nope\n', false),
    );
    expect((await s.tm('log', 'job')).stdout).toMatch(
      shape('@  job:0  running -> exited  (exit)  pid #, exit code 3\n', false),
    );

    const all = await s.tm('log', '--json');
    const limited = await s.tm('log', '-n', '3', '--json');
    expect(json<unknown[]>(limited)).toEqual(json<unknown[]>(all).slice(-3));
    expect((await s.tm('log', '--limit', '1')).stdout.split('\n')).toHaveLength(2);
  });

  it('--json prints the events with the fields of docs/tm.md', async () => {
    const s = await setUp();
    const events = json<Record<string, unknown>[]>(await s.tm('log', 'job:0', '--json'));
    const rows = s.sandbox.events({ names: ['job:0'] });
    expect(events).toEqual(
      rows.map((e) => ({
        seq: e.seq,
        time: e.atMs,
        kind: 'transition',
        name: 'job:0',
        from: e.from,
        to: e.to,
        cause: e.cause,
        pid: e.pid,
        exitcode: e.exitCode,
        signal: e.signal,
        retries: e.retries,
        message: e.message,
        waitms: e.waitMs,
        expected: e.expected,
        revision: 1,
      })),
    );
    expect(events.at(-1)).toMatchObject({ to: 'exited', cause: 'exit', exitcode: 3 });
  });

  it('--since takes epoch ms, an ISO time or a duration', async () => {
    const s = await setUp();
    // every row so far is older than `since`: wait until the clock has moved past the last one
    const last = s.sandbox.events().at(-1)!.atMs;
    await waitUntil(() => Date.now() > last, 'the clock to pass the last event');
    const since = Date.now();
    expect(await s.tm('stop', 'web:0')).toEqual(ok('web:0: stopped\n'));
    const fresh = ['running -> stopping', 'stopping -> stopped'];
    // the transitions of the rows (tm log also shows the daemon's own rows and actions)
    const transitions = (r: TmResult) =>
      json<{ kind: string; from: string; to: string }[]>(r)
        .filter((e) => e.kind === 'transition')
        .map((e) => `${e.from} -> ${e.to}`);
    expect(transitions(await s.tm('log', '--since', String(since), '--json'))).toEqual(fresh);
    const iso = new Date(since).toISOString();
    expect(transitions(await s.tm('log', 'web', '--since', iso, '--json'))).toEqual(fresh);
    expect(transitions(await s.tm('log', '--since', '1h', '--json'))).toHaveLength(
      s.sandbox.events().length,
    );
    expect(await s.tm('log', '--since', 'yesterday')).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(
        /^tm: --since: expected a time like .*, found "yesterday"\n$/,
      ) as string,
    });
  });

  it('-f prints the history, then new events, until Ctrl-C (exit 0)', async () => {
    const s = await setUp();
    const args = ['-c', 'config.yaml', '--port', String(s.port), 'log', 'web:0', '-f'];
    const follow = spawnTm(s.sandbox, args);
    const followJson = spawnTm(s.sandbox, [...args, '--json', '--limit', '1']);
    await follow.waitLine(shape('@  web:0  starting -> running  (timeout)  pid #'));
    await followJson.waitLine(/"to":"running"/);

    expect(await s.tm('stop', 'web:0')).toEqual(ok('web:0: stopped\n'));
    await follow.waitLine(shape('@  web:0  stop ok  stopped'));
    await followJson.waitLine(/"action":"stop ok"/);

    follow.child.kill('SIGINT');
    followJson.child.kill('SIGINT');
    const [text, ndjson] = await Promise.all([follow.result, followJson.result]);
    expect(text).toMatchObject({ code: 0, signal: null, stderr: '' });
    expect(text.stdout.trimEnd().split('\n')).toEqual([
      expect.stringMatching(shape('@  web:0  stopped -> starting  (autostart)')),
      expect.stringMatching(shape('@  web:0  starting -> running  (timeout)  pid #')),
      // the stop is on record: who asked, then what it caused, then how it went (issue 8)
      // (`@` stands for a time in shape(): the client's is written out)
      expect.stringMatching(
        new RegExp(
          `^${shape('@  web:0  stop asked by tm 0.1.0', false).source}@${shape('127.0.0.1:#  names=web:0 wait=true', false).source}$`,
        ),
      ),
      expect.stringMatching(shape('@  web:0  running -> stopping  (user)  pid #')),
      expect.stringMatching(
        shape('@  web:0  stopping -> stopped  (user)  pid #, killed by SIGTERM'),
      ),
      expect.stringMatching(shape('@  web:0  stop ok  stopped')),
    ]);
    expect(ndjson).toMatchObject({ code: 0, signal: null, stderr: '' });
    const events = ndjson.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { name: string; to?: string; action?: string });
    expect(events.map((e) => `${e.name} ${e.to ?? e.action}`)).toEqual([
      'web:0 running',
      'web:0 stop asked',
      'web:0 stopping',
      'web:0 stopped',
      'web:0 stop ok',
    ]);
  });
});

describe('tm shutdown', () => {
  it('waits until the daemon has stopped everything, and says so', async () => {
    const s = await setUp();
    const pids = s.sandbox.loggedPids();
    expect(pids.some(isAlive)).toBe(true);
    expect(await s.tm('shutdown')).toEqual(ok(`taskmasterd (pid ${s.daemon.pid}) stopped\n`));
    expect(await s.daemon.waitExit()).toEqual({ code: 0, signal: null });
    expect(pids.filter(isAlive)).toEqual([]);
    expect(s.sandbox.processes()).toEqual([]);
  });

  it('--json prints the pid', async () => {
    const s = await setUp();
    expect(json(await s.tm('shutdown', '--json'))).toEqual({ pid: s.daemon.pid, stopped: true });
    expect(await s.daemon.waitExit()).toEqual({ code: 0, signal: null });
    expect(s.sandbox.processes()).toEqual([]);
  });
});

describe('tm help and tm --version', () => {
  it('need no daemon and no config', async () => {
    const sandbox = Sandbox.create(CONFIG);
    // (no command at all starts the shell: test/e2e/shell.test.ts)
    const help = await runTm(sandbox, ['help']);
    expect(help).toMatchObject({ code: 0, stderr: '' });
    expect(help.stdout).toMatch(/^usage: tm \[-c CONFIG\] /);
    expect(help.stdout).toContain('\nexit status:\n  0  ok\n');
    expect(await runTm(sandbox, ['-h'])).toEqual(help);
    const log = await runTm(sandbox, ['help', 'log']);
    expect(log).toMatchObject({ code: 0, stderr: '' });
    expect(log.stdout).toMatch(/^usage: tm log \[NAME…\] \[--limit N\] \[--since TIME\] \[-f\]\n/);
    expect(await runTm(sandbox, ['log', '--help'])).toEqual(log);
    expect(await runTm(sandbox, ['--version'])).toEqual(ok('tm 0.1.0\n'));
    expect(await runTm(sandbox, ['-v'])).toEqual(ok('tm 0.1.0\n'));
  });
});

describe('exit statuses', () => {
  it('2 on a usage error, before anything reaches the daemon', async () => {
    const s = await setUp();
    expect(await s.tm('stauts')).toEqual({
      code: 2,
      signal: null,
      stdout: '',
      stderr:
        'tm: unknown command: stauts (did you mean status?)\nhint: tm help lists the commands\n',
    });
    expect(await s.tm('start')).toMatchObject({ code: 2, stdout: '' });
    expect(await runTm(s.sandbox, ['status'])).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/^tm: no config file: /) as string,
    });
    expect(await runTm(s.sandbox, ['-c', 'config.yaml', 'status'])).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/^tm: server\.port is 0 in config\.yaml: /) as string,
    });
  });

  it('3 when nothing listens at the address', async () => {
    const sandbox = Sandbox.create(CONFIG);
    writeFileSync(sandbox.path('taskmaster.token'), 'some-token\n');
    const port = await unusedPort();
    expect(await runTm(sandbox, ['-c', 'config.yaml', '--port', String(port), 'status'])).toEqual({
      code: 3,
      signal: null,
      stdout: '',
      stderr:
        `tm: cannot reach taskmasterd at 127.0.0.1:${port}: connection refused\n` +
        'hint: is it running? start it with taskmasterd -c config.yaml\n',
    });
  });

  it('3 when what listens there is not taskmasterd', async () => {
    const sandbox = Sandbox.create(CONFIG);
    writeFileSync(sandbox.path('taskmaster.token'), 'some-token\n');
    const sockets = new Set<Socket>();
    const http = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => socket.destroy());
      socket.end('HTTP/1.1 400 Bad Request\r\n\r\n');
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    onTestFinished(() => {
      for (const socket of sockets) socket.destroy();
      http.close();
    });
    const { port } = http.address() as AddressInfo;
    expect(await runTm(sandbox, ['-c', 'config.yaml', '--port', String(port), 'status'])).toEqual({
      code: 3,
      signal: null,
      stdout: '',
      stderr:
        `tm: cannot reach taskmasterd at 127.0.0.1:${port}: what listens there does not speak its protocol (frame of 1213486160 bytes is over the limit of 1048576)\n` +
        'hint: check --port, or server.port in config.yaml\n',
    });
  });

  it('3 when the daemon refuses the token, which is never printed', async () => {
    const s = await setUp();
    writeFileSync(s.sandbox.path('other.yaml'), 'server:\n  tokenfile: other.token\n');
    writeFileSync(s.sandbox.path('other.token'), 'not-the-token\n');
    const mark = s.daemon.mark();
    const r = await runTm(s.sandbox, ['-c', 'other.yaml', '--port', String(s.port), 'status']);
    expect(r).toEqual({
      code: 3,
      signal: null,
      stdout: '',
      stderr:
        'tm: wrong token\n' +
        "hint: tm reads the token from server.tokenfile of the config: use the daemon's config (tm -c FILE)\n",
    });
    await s.daemon.waitLine(/WARN refused client 127\.0\.0\.1:\d+: wrong token$/, mark);
    const token = readFileSync(s.sandbox.path('taskmaster.token'), 'utf8').trim();
    for (const secret of [token, 'not-the-token']) {
      expect(r.stdout + r.stderr).not.toContain(secret);
      expect(s.daemon.stderr).not.toContain(secret);
    }
  });
});
