import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  CLEAN_STOP,
  program,
  programs,
  Sandbox,
  waitUntil,
  type DaemonProcess,
} from '../helpers/daemon-process.js';
import { fixture, isAlive, TestDaemon } from '../helpers/test-daemon.js';

/**
 * Replay with the built taskmasterd: a daemon is SIGKILLed (or stops) and a new one starts on
 * the same config, event log and pid file. What was alive is adopted (same pid, never a second
 * copy), what is not in the config any more is stopped, and the history goes on.
 */

const START_ROWS = ['stopped -> starting (autostart)', 'starting -> running (timeout)'];
const SHUTDOWN_ROWS = ['running -> stopping (shutdown)', 'stopping -> stopped (shutdown)'];

/** SIGKILL: the daemon dies at once, its children (in their own sessions) live on. */
async function crash(d: DaemonProcess): Promise<void> {
  d.signal('SIGKILL');
  expect(await d.waitExit()).toEqual({ code: null, signal: 'SIGKILL' });
}

describe('a daemon started after one was killed', () => {
  it('adopts the live process (same pid, one copy), then supervises and stops it', async () => {
    // stdout to a file: with no pipe to the dead daemon, nothing kills the child with it
    const keep = program('keep', 'autorestart: always', 'stdout: keep.out');
    const sb = Sandbox.create(programs(keep));
    const first = await sb.start();
    const pid = await first.waitRunning('keep:0');
    await crash(first);
    expect(isAlive(pid)).toBe(true);
    // the dead daemon's pid file is still there
    expect(readFileSync(sb.path('taskmaster.pid'), 'utf8')).toBe(`${first.pid}\n`);

    // `late`, new in the config, starts after the boot: its running row is the sentinel
    sb.writeConfig(programs(keep, program('late')));
    const mark = sb.lastSeq();
    const second = await sb.start();
    const adopted = await sb.waitState('keep:0', 'running', mark);
    await sb.waitState('late:0', 'running', mark);

    expect(adopted).toMatchObject({ from: 'stopped', cause: 'adopted', pid });
    expect(sb.history('keep:0', mark)).toEqual(['stopped -> running (adopted)']);
    expect(second.lines).toContainEqual(expect.stringMatching(` INFO keep:0: running pid ${pid}$`));
    // never started twice: the one process of keep:0 is the adopted one
    expect(sb.processesOf('keep:0')).toEqual([pid]);
    expect(readFileSync(sb.path('taskmaster.pid'), 'utf8')).toBe(`${second.pid}\n`);

    // not its child, but supervised: its death is noticed and autorestart applies
    const killed = sb.lastSeq();
    process.kill(pid, 'SIGKILL');
    const exited = await sb.waitState('keep:0', 'exited', killed);
    // the exit status went to its real parent: unknown, so unexpected
    expect(exited).toMatchObject({ pid, exitCode: null, signal: null });
    const restarted = await sb.waitState('keep:0', 'running', killed);
    expect(sb.history('keep:0', killed)).toEqual([
      'running -> exited (exit)',
      'exited -> starting (exit)',
      'starting -> running (timeout)',
    ]);
    expect(restarted.pid).not.toBe(pid);
    expect(sb.processesOf('keep:0')).toEqual([restarted.pid]);

    const beforeShutdown = sb.lastSeq();
    expect(await sb.stop(second)).toEqual(CLEAN_STOP);
    expect(sb.history('keep:0', beforeShutdown)).toEqual(SHUTDOWN_ROWS);
    expect(existsSync(sb.path('taskmaster.pid'))).toBe(false);
  });

  it('stops what is not in the config any more, and stops adopted processes at shutdown', async () => {
    const sb = Sandbox.create(programs(program('keep', 'numprocs: 2'), program('gone')));
    const first = await sb.start();
    const keep0 = await first.waitRunning('keep:0');
    const keep1 = await first.waitRunning('keep:1');
    const gone = await first.waitRunning('gone:0');
    await crash(first);

    // keep loses its instance :1, gone is removed
    sb.writeConfig(programs(program('keep', 'numprocs: 1')));
    const mark = sb.lastSeq();
    const second = await sb.start();
    for (const [name, pid] of [
      ['keep:1', keep1],
      ['gone:0', gone],
    ] as const) {
      await second.waitLine(
        new RegExp(
          ` WARN ${name}: pid ${pid} from a previous run is not in the config any more, stopping it$`,
        ),
      );
      await sb.waitGone(pid);
    }
    // the adopted row is recorded after anything the boot started
    await sb.waitState('keep:0', 'running', mark);
    expect(
      sb.events({ afterSeq: mark }).map((e) => `${e.name}: ${e.from} -> ${e.to} (${e.cause})`),
    ).toEqual(['keep:0: stopped -> running (adopted)']);
    expect(sb.processesOf('keep:0')).toEqual([keep0]);
    expect(sb.processesOf('keep:1')).toEqual([]);
    expect(sb.processesOf('gone:0')).toEqual([]);
    // the register closes their entries: the next daemon will not look for them again
    await waitUntil(
      () =>
        sb
          .registeredProcesses()
          .filter((p) => p.exitedMs === null)
          .map((p) => p.pid)
          .join() === String(keep0),
      'only keep:0 left open in the process register',
    );

    // the adopted process is not the daemon's child; the shutdown stops it all the same
    const beforeShutdown = sb.lastSeq();
    expect(await sb.stop(second)).toEqual(CLEAN_STOP);
    expect(sb.history('keep:0', beforeShutdown)).toEqual(SHUTDOWN_ROWS);
    expect(sb.events({ names: ['keep:0'] }).at(-1)!.pid).toBe(keep0);
    expect(sb.registeredProcesses().filter((p) => p.exitedMs === null)).toEqual([]);
  });

  it('kills at shutdown a stray that ignores SIGTERM, rather than leave it behind', async () => {
    const stubborn = program('stubborn', `cmd: ${fixture('ignore-term.sh')}`);
    const sb = Sandbox.create(programs(program('keep'), stubborn));
    const first = await sb.start();
    const stray = await first.waitRunning('stubborn:0');
    await crash(first);
    sb.writeConfig(programs(program('keep')));
    const second = await sb.start();
    await second.waitLine(/ WARN stubborn:0: pid \d+ from a previous run is not in the config/);
    // SIGTERM to the daemon long before the stray's 10 s are up
    const stopped = await sb.stop(second);
    expect(stopped).toEqual(CLEAN_STOP);
    expect(second.lines).toContainEqual(
      expect.stringMatching(
        ` WARN pid ${stray} from a previous run still runs at shutdown: SIGKILL$`,
      ),
    );
    await sb.waitGone(stray);
  });

  /** A reload's restart of `web` is under way (stopping, SIGTERM ignored) when the daemon dies. */
  async function crashWhileRestarting(): Promise<{ sb: Sandbox; old: number; mark: number }> {
    const stubborn = (...extra: string[]) =>
      program('web', `cmd: ${fixture('ignore-term.sh')}`, ...extra);
    const sb = Sandbox.create(programs(stubborn('stoptime: 30')));
    const first = await sb.start();
    const old = await first.waitRunning('web:0');
    const reloading = sb.lastSeq();
    sb.writeConfig(programs(stubborn('stoptime: 30', 'env: { VERSION: 2 }')));
    first.signal('SIGHUP');
    await sb.waitState('web:0', 'stopping', reloading);
    await crash(first);
    expect(sb.history('web:0').at(-1)).toBe('running -> stopping (reload)');
    sb.writeConfig(programs(stubborn('stoptime: 0.2', 'env: { VERSION: 2 }')));
    return { sb, old, mark: sb.lastSeq() };
  }

  it('finishes a stop the killed daemon had begun', async () => {
    const { sb, old, mark } = await crashWhileRestarting();
    const second = await sb.start();
    await sb.waitState('web:0', 'stopped', mark);
    expect(sb.history('web:0', mark).slice(0, 3)).toEqual([
      'stopped -> running (adopted)',
      'running -> stopping (replay)',
      'stopping -> stopped (replay)',
    ]);
    expect(isAlive(old)).toBe(false);
    expect(await sb.stop(second)).toEqual(CLEAN_STOP);
  });

  it('then starts it again as the config says, as it would had the process died', async () => {
    // Regression: boot() adopted the process and sends it `stop` (cause replay), and nothing starts it
    // again: web:0 (autostart: true, being restarted by a reload) stays stopped with no process.
    // Had the old process died with the daemon, bootDecision() would have started it
    // (recovered state `stopping`, no user intent → autostart). A user's stop is the one case
    // that should stay stopped (README.md § The config).
    const { sb, old, mark } = await crashWhileRestarting();
    const second = await sb.start();
    const stopped = await sb.waitState('web:0', 'stopped', mark);
    // no later event to wait for if the start never comes: one starttime (0.1 s) and margin
    const running = await sb.waitState('web:0', 'running', stopped.seq, 1500);
    expect(running.pid).not.toBe(old);
    expect(sb.processesOf('web:0')).toEqual([running.pid]);
    expect(await sb.stop(second)).toEqual(CLEAN_STOP);
  });
});

describe('what the previous run recorded decides how an instance begins', () => {
  it('exited and fatal instances follow autostart; one never started stays stopped', async () => {
    const sb = Sandbox.create(
      programs(
        program('web'),
        program('idle', 'autostart: false'),
        program('done', `cmd: "sh -c 'exit 0'"`, 'starttime: 0', 'autorestart: never'),
        program('broken', `cmd: "sh -c 'exit 1'"`, 'starttime: 0.2', 'startretries: 0'),
      ),
    );
    const runOnce = async (after: number) => {
      const d = await sb.start();
      await sb.waitState('web:0', 'running', after);
      await sb.waitState('done:0', 'exited', after);
      await sb.waitState('broken:0', 'fatal', after);
      expect(await sb.stop(d)).toEqual(CLEAN_STOP);
    };
    await runOnce(0);
    const mark = sb.lastSeq();
    await runOnce(mark);

    for (const after of [0, mark]) {
      expect(sb.history('web:0', after).slice(0, 4)).toEqual([...START_ROWS, ...SHUTDOWN_ROWS]);
      expect(sb.history('done:0', after).slice(0, 3)).toEqual([
        ...START_ROWS,
        'running -> exited (exit)',
      ]);
      expect(sb.history('broken:0', after).slice(0, 2)).toEqual([
        'stopped -> starting (autostart)',
        'starting -> fatal (exit)',
      ]);
    }
    // idle:0 would have started at boot, before the rows waited for above
    expect(sb.history('idle:0')).toEqual([]);
  });

  it('what a user stopped stays stopped, what a user started is started', async () => {
    // there is no tm yet: the previous run is an in-process daemon given the user's commands
    const yaml = programs(program('web'), program('idle', 'autostart: false'));
    const sb = Sandbox.create(yaml);
    const td = TestDaemon.start(yaml, sb.dir);
    onTestFinished(() => td.daemon.shutdown());
    await td.waitState('web:0', 'running');
    const at = td.mark();
    td.daemon.command('stop', ['web']);
    td.daemon.command('start', ['idle']);
    await td.waitState('web:0', 'stopped', at);
    await td.waitState('idle:0', 'running', at);
    await td.stop();
    expect(sb.history('idle:0').slice(-2)).toEqual(SHUTDOWN_ROWS);

    const mark = sb.lastSeq();
    const d = await sb.start();
    await sb.waitState('idle:0', 'running', mark);
    expect(sb.history('idle:0', mark)).toEqual([
      'stopped -> starting (replay)',
      'starting -> running (timeout)',
    ]);
    // web:0 would have started at boot, before idle:0's running row
    expect(sb.history('web:0', mark)).toEqual([]);
    expect(sb.processesOf('web:0')).toEqual([]);
    expect(await sb.stop(d)).toEqual(CLEAN_STOP);
  });

  it('history and retry counts continue across a crash; one more revision', async () => {
    const sb = Sandbox.create(
      programs(
        program('web'),
        program('flap', `cmd: "sh -c 'exit 1'"`, 'starttime: 0.2', 'startretries: 1'),
      ),
    );
    const first = await sb.start();
    await first.waitRunning('web:0');
    await sb.waitState('flap:0', 'backoff');
    // killed during the 1 s backoff: flap:0 has used 1 of its 1 retry
    await crash(first);
    const before = sb.events();
    expect(sb.history('flap:0')).toEqual([
      'stopped -> starting (autostart)',
      'starting -> backoff (exit)',
    ]);

    const mark = sb.lastSeq();
    const second = await sb.start();
    const fatal = await sb.waitState('flap:0', 'fatal', mark);
    await sb.waitState('web:0', 'running', mark);

    // one try was left, not two: the count went on from the log
    expect(sb.history('flap:0', mark)).toEqual([
      'stopped -> starting (replay)',
      'starting -> fatal (exit)',
    ]);
    expect(fatal.retries).toBe(1);
    expect(sb.history('web:0', mark)).toEqual(['stopped -> running (adopted)']);

    // tm log: the earlier run's rows, unchanged, then the new run's
    const after = sb.events();
    expect(after.slice(0, before.length)).toEqual(before);
    const added = after.slice(before.length);
    expect(added.length).toBeGreaterThan(0);
    expect(added.every((e) => e.seq > before.at(-1)!.seq && e.revision === 2)).toBe(true);
    expect(before.every((e) => e.revision === 1)).toBe(true);
    expect(sb.events({ names: ['flap:0'], limit: 2 }).map((e) => e.to)).toEqual([
      'starting',
      'fatal',
    ]);
    expect(sb.revisions().map((r) => r.summary)).toEqual(['start: web, flap', 'start: web, flap']);
    expect(await sb.stop(second)).toEqual(CLEAN_STOP);
  });
});
