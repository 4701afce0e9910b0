import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  CLEAN_STOP,
  procStatField,
  program,
  programs,
  Sandbox,
  SERVER_SECTION,
  waitUntil,
  withDeadline,
  type DaemonProcess,
} from '../helpers/daemon-process.js';
import { fixture, isAlive } from '../helpers/test-daemon.js';

/**
 * The built taskmasterd as a real process (docs/signals.md): signals, reload, exit codes, pid file,
 * and what it leaves behind. Everything is awaited on its log lines (in the foreground it echoes
 * its log to stderr) or on rows of its SQLite event log, each with a deadline.
 */

const START_ROWS = ['stopped -> starting (autostart)', 'starting -> running (timeout)'];
const SHUTDOWN_ROWS = ['running -> stopping (shutdown)', 'stopping -> stopped (shutdown)'];
const RELOAD_START_ROWS = ['stopped -> starting (reload)', 'starting -> running (timeout)'];
const RELOAD_STOP_ROWS = ['running -> stopping (reload)', 'stopping -> stopped (reload)'];

/** Rewrites config.yaml, sends SIGHUP, and returns what the daemon says the reload did. */
async function reload(sb: Sandbox, d: DaemonProcess, yaml: string): Promise<string> {
  sb.writeConfig(yaml);
  const mark = d.mark();
  d.signal('SIGHUP');
  const { match } = await d.waitLine(/ INFO reload \(revision \d+\): (.*)$/, mark);
  return match[1]!;
}

/** `program` running a fixture that ignores SIGTERM: only the SIGKILL after stoptime stops it. */
const stubborn = (name: string, ...extra: string[]) =>
  program(name, `cmd: ${fixture('ignore-term.sh')}`, ...extra);

/** An invalid config: `umask: abc` is at line 6, column 12. */
const INVALID = programs(program('web', 'umask: abc'));
const INVALID_MESSAGE = 'programs.web.umask: expected an octal number like 022, found "abc"';

describe('taskmasterd in the foreground', () => {
  it.each(['SIGTERM', 'SIGINT', 'SIGQUIT'] as const)(
    '%s stops every instance, grandchildren included, removes the pid file and exits 0',
    async (signal) => {
      const sb = Sandbox.create(
        programs(
          program('web'),
          program(
            'tree',
            `cmd: "${fixture('spawn-grandchild.sh')} grandchild.pid"`,
            'workingdir: .',
          ),
        ),
      );
      const d = await sb.start();
      const web = await d.waitRunning('web:0');
      const tree = await d.waitRunning('tree:0');
      const grandchild = Number(readFileSync(await sb.waitFile('grandchild.pid'), 'utf8'));
      expect(readFileSync(sb.path('taskmaster.pid'), 'utf8')).toBe(`${d.pid}\n`);
      // the daemon, its two children and the grandchild: nothing else runs
      const byPid = (a: number, b: number) => a - b;
      const running = sb.processes().map((p) => p.pid);
      expect(running.sort(byPid)).toEqual([d.pid, web, tree, grandchild].sort(byPid));

      expect(await sb.stop(d, signal)).toEqual(CLEAN_STOP);

      expect(d.lines.filter((l) => / INFO (SIG\w+ received|shutdown)/.test(l))).toEqual([
        expect.stringMatching(new RegExp(` INFO ${signal} received$`)),
        expect.stringMatching(/ INFO shutdown: stopping every instance$/),
        expect.stringMatching(/ INFO shutdown complete$/),
      ]);
      expect(d.lines.at(-1)).toMatch(/ INFO shutdown complete$/);
      for (const name of ['web:0', 'tree:0']) {
        expect(sb.history(name)).toEqual([...START_ROWS, ...SHUTDOWN_ROWS]);
      }
      expect(sb.events({ names: ['web:0'] }).at(-1)).toMatchObject({ pid: web, signal: 'SIGTERM' });
      expect(existsSync(sb.path('taskmaster.pid'))).toBe(false);
      expect(sb.loggedPids().sort(byPid)).toEqual([web, tree].sort(byPid));
      expect(isAlive(grandchild)).toBe(false);
    },
  );

  it('shuts down by priority: the highest level is stopped before the next one begins', async () => {
    // `late` comes first in the file and ignores SIGTERM, so its stop takes the whole stoptime
    const sb = Sandbox.create(
      programs(stubborn('late', 'priority: 2', 'stoptime: 0.3'), program('early', 'priority: 1')),
    );
    const d = await sb.start();
    await d.waitRunning('late:0');
    await d.waitRunning('early:0');
    const mark = sb.lastSeq();

    expect(await sb.stop(d)).toEqual(CLEAN_STOP);

    expect(sb.history('late:0', mark)).toEqual(SHUTDOWN_ROWS);
    expect(sb.history('early:0', mark)).toEqual(SHUTDOWN_ROWS);
    const row = (name: string, to: string) =>
      sb.events({ names: [name] }).find((e) => e.to === to)!;
    // started in priority order …
    expect(row('early:0', 'starting').seq).toBeLessThan(row('late:0', 'starting').seq);
    // … stopped in reverse, one level after the other
    const lateStopping = row('late:0', 'stopping');
    const lateStopped = row('late:0', 'stopped');
    const earlyStopping = row('early:0', 'stopping');
    expect(lateStopped.seq).toBeGreaterThan(lateStopping.seq);
    expect(earlyStopping.seq).toBeGreaterThan(lateStopped.seq);
    expect(lateStopped.signal).toBe('SIGKILL');
    expect(earlyStopping.atMs - lateStopping.atMs).toBeGreaterThanOrEqual(290);
  });
});

describe('a signal while the daemon is starting', () => {
  it('SIGTERM as soon as it listens: it exits 0 and leaves no child behind', async () => {
    // many instances: the signal arrives while they are being spawned, or just after
    const sb = Sandbox.create(programs(program('many', 'numprocs: 100')));
    const d = sb.spawn();
    await d.waitLine(/ INFO listening on /);
    d.signal('SIGTERM');
    expect(await d.waitExit(30_000)).toEqual({ code: 0, signal: null });
    // every process started from this sandbox but the daemon itself is gone
    await waitUntil(() => sb.processes().length === 0, 'every child to be gone');
  });
});

describe('SIGHUP reload', () => {
  it('a program added is started, one added with autostart false is not', async () => {
    const sb = Sandbox.create(programs(program('web')));
    const d = await sb.start();
    const web = await d.waitRunning('web:0');
    const mark = sb.lastSeq();

    const next = programs(program('web'), program('extra'), program('idle', 'autostart: false'));
    expect(await reload(sb, d, next)).toBe('added extra; added idle');
    await sb.waitState('extra:0', 'running', mark);

    expect(sb.history('extra:0', mark)).toEqual(RELOAD_START_ROWS);
    // extra:0's running row is ordered after anything the reload itself did to the others
    expect(sb.history('idle:0')).toEqual([]);
    expect(sb.history('web:0', mark)).toEqual([]);
    expect(sb.processesOf('web:0')).toEqual([web]);
    expect(sb.revisions().map((r) => r.summary)).toEqual(['start: web', 'added extra; added idle']);
    expect(await sb.stop(d)).toEqual(CLEAN_STOP);
  });

  it('a program removed is stopped, its process is gone, and it is forgotten', async () => {
    const sb = Sandbox.create(programs(program('web'), program('gone')));
    const d = await sb.start();
    const web = await d.waitRunning('web:0');
    const gone = await d.waitRunning('gone:0');
    const mark = sb.lastSeq();

    expect(await reload(sb, d, programs(program('web')))).toBe('removed gone');
    const stopped = await sb.waitState('gone:0', 'stopped', mark);

    expect(sb.history('gone:0', mark)).toEqual(RELOAD_STOP_ROWS);
    expect(stopped).toMatchObject({ pid: gone, signal: 'SIGTERM' });
    expect(isAlive(gone)).toBe(false);
    expect(sb.processesOf('gone:0')).toEqual([]);
    expect(sb.history('web:0', mark)).toEqual([]);
    expect(sb.processesOf('web:0')).toEqual([web]);

    const beforeShutdown = sb.lastSeq();
    expect(await sb.stop(d)).toEqual(CLEAN_STOP);
    // forgotten: the shutdown stops web and no longer knows of gone
    expect(sb.history('gone:0', beforeShutdown)).toEqual([]);
    expect(sb.history('web:0', beforeShutdown)).toEqual(SHUTDOWN_ROWS);
  });

  it('a changed cmd restarts the instance: new pid, new command, old process gone', async () => {
    const sb = Sandbox.create(programs(program('web'), program('other')));
    const d = await sb.start();
    const before = await d.waitRunning('web:0');
    const other = await d.waitRunning('other:0');
    const mark = sb.lastSeq();

    const next = programs(program('web', 'cmd: sleep 1001'), program('other'));
    expect(await reload(sb, d, next)).toMatch(/^restarted web \(\w+\)$/);
    const after = (await sb.waitState('web:0', 'running', mark)).pid!;

    expect(sb.history('web:0', mark)).toEqual([...RELOAD_STOP_ROWS, ...RELOAD_START_ROWS]);
    expect(after).not.toBe(before);
    expect(isAlive(before)).toBe(false);
    const [file, ...args] = readFileSync(`/proc/${after}/cmdline`, 'utf8').split('\0');
    expect([file, ...args]).toEqual([expect.stringMatching(/\/sleep$/), '1001', '']);
    expect(sb.processesOf('web:0')).toEqual([after]);
    expect(sb.history('other:0', mark)).toEqual([]);
    expect(sb.processesOf('other:0')).toEqual([other]);
    expect(await sb.stop(d)).toEqual(CLEAN_STOP);
  });

  it('only stoptime and autorestart changed: same pid, no row, and the new values apply', async () => {
    const sb = Sandbox.create(programs(stubborn('web', 'autorestart: never')));
    const d = await sb.start();
    const pid = await d.waitRunning('web:0');
    const mark = sb.lastSeq();

    const next = programs(
      stubborn('web', 'autorestart: always', 'stoptime: 0.2'),
      program('sentinel'),
    );
    expect(await reload(sb, d, next)).toMatch(/^updated in place web \(.+\); added sentinel$/);
    // sentinel:0's running row is ordered after anything the reload itself did to web:0
    await sb.waitState('sentinel:0', 'running', mark);
    expect(sb.history('web:0', mark)).toEqual([]);
    expect(sb.processesOf('web:0')).toEqual([pid]);

    // autorestart is now always (it was never): a kill is followed by a restart
    process.kill(pid, 'SIGKILL');
    const again = await sb.waitState('web:0', 'running', mark);
    expect(sb.history('web:0', mark)).toEqual([
      'running -> exited (exit)',
      'exited -> starting (exit)',
      'starting -> running (timeout)',
    ]);

    // stoptime is now 0.2 s (it was 1 s): SIGKILL comes 0.2 s after SIGTERM
    const beforeShutdown = sb.lastSeq();
    expect(await sb.stop(d)).toEqual(CLEAN_STOP);
    expect(d.lines).toContainEqual(
      expect.stringMatching(
        new RegExp(
          ` WARN web:0: pid ${again.pid} still running 0\\.2 s after SIGTERM, sending SIGKILL$`,
        ),
      ),
    );
    const [stopping, stopped] = sb.events({ names: ['web:0'], afterSeq: beforeShutdown });
    expect(stopped!.signal).toBe('SIGKILL');
    expect(stopped!.atMs - stopping!.atMs).toBeGreaterThanOrEqual(190);
    expect(stopped!.atMs - stopping!.atMs).toBeLessThan(900);
  });

  it('numprocs 2 -> 3 starts only :2; 3 -> 1 stops :2 then :1, and leaves :0 alone', async () => {
    const sb = Sandbox.create(programs(program('web', 'numprocs: 2')));
    const d = await sb.start();
    const p0 = await d.waitRunning('web:0');
    const p1 = await d.waitRunning('web:1');
    const up = sb.lastSeq();

    const three = programs(program('web', 'numprocs: 3'));
    expect(await reload(sb, d, three)).toMatch(/^updated in place web \(\w+\)$/);
    const p2 = (await sb.waitState('web:2', 'running', up)).pid!;
    // web:2's running row is ordered after anything the reload itself did to :0 and :1
    expect(sb.events({ afterSeq: up }).map((e) => e.name)).toEqual(['web:2', 'web:2']);
    expect(sb.history('web:2', up)).toEqual(RELOAD_START_ROWS);
    expect([p0, p1, p2].map((p) => isAlive(p))).toEqual([true, true, true]);

    const down = sb.lastSeq();
    await reload(sb, d, programs(program('web', 'numprocs: 1')));
    await sb.waitState('web:1', 'stopped', down);
    await sb.waitState('web:2', 'stopped', down);

    const rows = sb.events({ afterSeq: down });
    expect(rows.map((e) => e.name).sort()).toEqual(['web:1', 'web:1', 'web:2', 'web:2']);
    expect(sb.history('web:2', down)).toEqual(RELOAD_STOP_ROWS);
    expect(sb.history('web:1', down)).toEqual(RELOAD_STOP_ROWS);
    // highest-numbered first
    expect(rows.filter((e) => e.to === 'stopping').map((e) => e.name)).toEqual(['web:2', 'web:1']);
    expect([p1, p2].map((p) => isAlive(p))).toEqual([false, false]);
    expect(sb.processesOf('web:0')).toEqual([p0]);

    expect(await sb.stop(d)).toEqual(CLEAN_STOP);
    expect(sb.events({ afterSeq: down }).filter((e) => e.cause === 'shutdown')).toHaveLength(2);
    expect(sb.history('web:0', down)).toEqual(SHUTDOWN_ROWS);
  });

  it('nothing changed: no row at all, the log says no change, a revision is recorded', async () => {
    const sb = Sandbox.create(programs(program('web')));
    const d = await sb.start();
    const pid = await d.waitRunning('web:0');
    const mark = sb.lastSeq();

    // the same settings written differently: a comment, another order, cmd spaced out
    const same = `# rewritten\n${SERVER_SECTION}programs:\n  web:\n    stoptime: 1\n    starttime: 0.1\n    cmd: "sleep   1000"\n`;
    expect(await reload(sb, d, same)).toBe('no change');
    expect(d.lines).toContainEqual(
      expect.stringMatching(/ INFO reload \(revision 2\): no change$/),
    );
    // a second reload is handled after the first: its rows are ordered after any of the first
    expect(await reload(sb, d, same + program('sentinel'))).toBe('added sentinel');
    await sb.waitState('sentinel:0', 'running', mark);

    expect(sb.events({ afterSeq: mark }).map((e) => e.name)).toEqual(['sentinel:0', 'sentinel:0']);
    expect(sb.processesOf('web:0')).toEqual([pid]);
    expect(sb.revisions().map((r) => r.summary)).toEqual([
      'start: web',
      'no change',
      'added sentinel',
    ]);
    expect(await sb.stop(d)).toEqual(CLEAN_STOP);
  });

  it('an invalid config is refused whole: logged with file:line:col, old programs keep running', async () => {
    const sb = Sandbox.create(programs(program('web')));
    const d = await sb.start();
    const pid = await d.waitRunning('web:0');
    const mark = sb.lastSeq();

    sb.writeConfig(INVALID + program('extra'));
    const before = d.mark();
    d.signal('SIGHUP');
    const refused = await d.waitLine(/ ERROR reload refused, nothing changed:$/, before);
    expect(d.lines[refused.lineIndex + 1]).toBe(`${sb.configFile}:6:12: ${INVALID_MESSAGE}`);
    expect(readFileSync(sb.path('taskmaster.log'), 'utf8')).toContain(
      ` ERROR reload refused, nothing changed:\n${sb.configFile}:6:12: ${INVALID_MESSAGE}\n`,
    );

    // a valid reload afterwards works, and its rows are ordered after any of the refused one
    expect(await reload(sb, d, programs(program('web'), program('extra')))).toBe('added extra');
    await sb.waitState('extra:0', 'running', mark);
    expect(sb.events({ afterSeq: mark }).map((e) => e.name)).toEqual(['extra:0', 'extra:0']);
    expect(sb.processesOf('web:0')).toEqual([pid]);
    // the refused config took no revision number
    expect(sb.revisions().map((r) => r.summary)).toEqual(['start: web', 'added extra']);
    expect(await sb.stop(d)).toEqual(CLEAN_STOP);
  });

  it('the reload summary names keys as the config writes them (cmd, stoptime)', async () => {
    // Regression: describePlan() printed ProgramSpec field names, which the user never wrote:
    // "restarted web (argv); updated in place api (stopTimeMs)"
    const sb = Sandbox.create(programs(program('web'), program('api')));
    const d = await sb.start();
    await d.waitRunning('web:0');
    await d.waitRunning('api:0');
    const next = programs(program('web', 'cmd: sleep 1001'), program('api', 'stoptime: 0.5'));
    expect(await reload(sb, d, next)).toBe('restarted web (cmd); updated in place api (stoptime)');
  });
});

describe('starting taskmasterd', () => {
  it('refuses an invalid config: exit 2, the problem at file:line:col, nothing created', async () => {
    const sb = Sandbox.create(INVALID);
    const d = sb.spawn();
    expect(await d.waitExit()).toEqual({ code: 2, signal: null });
    expect(d.stderr).toBe(`taskmasterd: config.yaml:6:12: ${INVALID_MESSAGE}\n`);
    // no pid file, no event log, no log file: a bad config is never half-applied
    expect(readdirSync(sb.dir)).toEqual(['config.yaml']);
  });

  it('says so when the config file does not exist: exit 2', async () => {
    const sb = Sandbox.create(programs(program('web')));
    const d = sb.spawn(['-c', 'nope.yaml']);
    expect(await d.waitExit()).toEqual({ code: 2, signal: null });
    expect(d.stderr).toBe(
      'taskmasterd: nope.yaml:1:1: cannot read the config file: no such file\n',
    );
    expect(readdirSync(sb.dir)).toEqual(['config.yaml']);
  });

  it.each([
    [[], 'taskmasterd: no config file: pass -c config.yaml'],
    [['-c'], 'taskmasterd: -c needs a file'],
    [['-c', 'config.yaml', '--frobnicate'], 'taskmasterd: unknown option: --frobnicate'],
  ])('args %j: exit 2 with the usage', async (args, message) => {
    const sb = Sandbox.create(programs(program('web')));
    const d = sb.spawn(args, { env: { TM_CONFIG: undefined } });
    expect(await d.waitExit()).toEqual({ code: 2, signal: null });
    expect(d.lines.slice(0, 2)).toEqual([message, 'usage: taskmasterd -c CONFIG [--daemon]']);
    expect(d.stdout).toBe('');
    expect(readdirSync(sb.dir)).toEqual(['config.yaml']);
  });

  it('takes the config from TM_CONFIG when there is no -c', async () => {
    const sb = Sandbox.create(programs(program('web')));
    const d = sb.spawn([], { env: { TM_CONFIG: 'config.yaml' } });
    await d.waitRunning('web:0');
    expect(await sb.stop(d)).toEqual(CLEAN_STOP);
  });

  it('refuses a second daemon on the same pid file: exit 1, the pid and a hint', async () => {
    const sb = Sandbox.create(programs(program('web')));
    const first = await sb.start();
    const pid = await first.waitRunning('web:0');
    const rows = sb.events();

    const second = sb.spawn();
    expect(await second.waitExit()).toEqual({ code: 1, signal: null });
    const pidfile = sb.path('taskmaster.pid');
    expect(second.lines).toEqual([
      `taskmasterd: taskmasterd is already running with pid ${first.pid} (pid file ${pidfile})`,
      `hint: stop it first (kill ${first.pid}), or give this daemon another daemon.pidfile`,
    ]);

    // the first one is unaffected: its pid file, its process, its event log
    expect(first.isRunning).toBe(true);
    expect(readFileSync(pidfile, 'utf8')).toBe(`${first.pid}\n`);
    expect(sb.processesOf('web:0')).toEqual([pid]);
    expect(sb.events()).toEqual(rows);
    expect(sb.revisions()).toHaveLength(1);
    expect(await sb.stop(first)).toEqual(CLEAN_STOP);
    expect(sb.history('web:0')).toEqual([...START_ROWS, ...SHUTDOWN_ROWS]);
  });
});

describe('taskmasterd --daemon', () => {
  it('returns 0 once the detached daemon supervises; SIGTERM to it stops everything', async () => {
    const sb = Sandbox.create(programs(program('web')));
    const launcher = sb.spawn(['-c', 'config.yaml', '--daemon'], { stderrFile: 'launcher.err' });
    expect(await launcher.waitExit()).toEqual({ code: 0, signal: null });
    const started = /^taskmasterd started, pid (\d+)\n$/.exec(launcher.stdout);
    expect(started, `stdout: ${launcher.stdout}`).not.toBeNull();
    const pid = Number(started![1]);

    expect(pid).not.toBe(launcher.pid);
    expect(readFileSync(sb.path('taskmaster.pid'), 'utf8')).toBe(`${pid}\n`);
    expect(isAlive(pid)).toBe(true);
    // detached: it leads its own session and process group
    expect(procStatField(pid, 6)).toBe(String(pid));
    expect(procStatField(pid, 5)).toBe(String(pid));
    const running = await sb.waitState('web:0', 'running');
    expect(sb.processesOf('web:0')).toEqual([running.pid]);
    // nothing is echoed when detached; the log file has it all
    expect(readFileSync(sb.path('launcher.err'), 'utf8')).toBe('');
    expect(readFileSync(sb.path('taskmaster.log'), 'utf8')).toContain(
      ` INFO web:0: running pid ${running.pid}\n`,
    );

    process.kill(pid, 'SIGTERM');
    await sb.waitGone(pid, `the detached taskmasterd ${pid} to exit`);
    expect(existsSync(sb.path('taskmaster.pid'))).toBe(false);
    expect(sb.history('web:0')).toEqual([...START_ROWS, ...SHUTDOWN_ROWS]);
    expect(readFileSync(sb.path('taskmaster.log'), 'utf8')).toMatch(/ INFO shutdown complete\n$/);
    expect(sb.loggedPids().filter(isAlive)).toEqual([]);
    expect(sb.processes()).toEqual([]);
  });

  it('lets go of the caller’s stderr: reading the command’s output to EOF ends', async () => {
    // Regression: detach() spawned the daemon with stdio [ignore, ignore, inherit, ipc]: the detached
    // daemon keeps the command's stderr open for its whole life, so `taskmasterd --daemon 2>&1 |
    // cat`, `out=$(taskmasterd --daemon 2>&1)` or `ssh host taskmasterd --daemon` hang until the
    // daemon exits
    const sb = Sandbox.create(programs(program('web')));
    const launcher = sb.spawn(['-c', 'config.yaml', '--daemon']);
    const exit = await withDeadline(launcher.exited, 8000, () => 'the command to exit');
    expect(exit).toEqual({ code: 0, signal: null });
    // the command has exited: only another process holding its stderr can keep EOF away
    await withDeadline(launcher.closed, 2000, () => 'EOF on the command’s stdout and stderr');
  });

  it('exits 2 on an invalid config, as in the foreground, saying why', async () => {
    // Regression: detach() turned every failure of the detached daemon into exit code 1, while run.ts
    // documents 2 for an invalid config (and the foreground exits 2)
    const sb = Sandbox.create(INVALID);
    const launcher = sb.spawn(['-c', 'config.yaml', '--daemon'], { stderrFile: 'launcher.err' });
    const exit = await launcher.waitExit();
    expect(readFileSync(sb.path('launcher.err'), 'utf8')).toBe(
      `taskmasterd: config.yaml:6:12: ${INVALID_MESSAGE}\n`,
    );
    expect(exit).toEqual({ code: 2, signal: null });
  });
});
