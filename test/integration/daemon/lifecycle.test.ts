import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { interval, map } from 'rxjs';
import { describe, expect, it, onTestFinished } from 'vitest';
import { TestDaemon, fixture, isAlive } from '../../helpers/test-daemon.js';
import { waitFor } from '../../helpers/wait.js';

/** The lifecycle, transition by transition, with real processes and the real SQLite event log. */

function start(programs: string): TestDaemon {
  const td = TestDaemon.start(`programs:\n${programs}`);
  onTestFinished(() => td.stop());
  return td;
}

const RUNNING = `
    cmd: "${fixture('exit-on-usr1.sh')} 0"
    starttime: 0.1
    stoptime: 1
`;

describe('start', () => {
  it('autostarts: stopped -> starting -> running once starttime has passed', async () => {
    const td = start(`  web:${RUNNING}`);
    const running = await td.waitState('web:0', 'running');
    expect(running.pid).toBeGreaterThan(0);
    expect(isAlive(running.pid!)).toBe(true);
    expect(td.history('web:0')).toEqual([
      'stopped -> starting (autostart)',
      'starting -> running (timeout)',
    ]);
    expect(td.daemon.status(['web:0'])[0]).toMatchObject({
      name: 'web:0',
      program: 'web',
      index: 0,
      state: 'running',
      pid: running.pid,
      retries: 0,
    });
  });

  it('leaves autostart: false programs stopped until a user starts them', async () => {
    const td = start(`  web:${RUNNING}    autostart: false\n`);
    expect(td.daemon.status()[0]!.state).toBe('stopped');
    const mark = td.mark();
    td.daemon.command('start', ['web:0']);
    await td.waitState('web:0', 'running', mark);
    expect(td.history('web:0')).toEqual([
      'stopped -> starting (user)',
      'starting -> running (timeout)',
    ]);
  });

  it('with starttime 0 counts as started as soon as it is spawned', async () => {
    const td = start(`  web:\n    cmd: "${fixture('exit-on-usr1.sh')}"\n    starttime: 0\n`);
    await td.waitState('web:0', 'running');
    expect(td.history('web:0')).toEqual([
      'stopped -> starting (autostart)',
      'starting -> running (timeout)',
    ]);
  });

  it('runs numprocs instances named program:N', async () => {
    const td = start(`  web:${RUNNING}    numprocs: 3\n`);
    await Promise.all(['web:0', 'web:1', 'web:2'].map((n) => td.waitState(n, 'running')));
    const pids = td.daemon.status().map((s) => s.pid);
    expect(new Set(pids).size).toBe(3);
  });
});

describe('failed starts', () => {
  it('an exit before starttime is a failed start, retried after 1 s, then fatal', async () => {
    const td = start(`
  flap:
    cmd: "sh -c 'exit 0'"
    starttime: 5
    startretries: 1
`);
    const fatal = await td.waitState('flap:0', 'fatal');
    expect(td.history('flap:0')).toEqual([
      'stopped -> starting (autostart)',
      'starting -> backoff (exit)',
      'backoff -> starting (retry)',
      'starting -> fatal (exit)',
    ]);
    const rows = td.daemon.events({ names: ['flap:0'] });
    // the retry came after the 1 s backoff of a first failed start, not at once
    expect(rows[2]!.atMs - rows[1]!.atMs).toBeGreaterThanOrEqual(990);
    expect(rows[1]).toMatchObject({ exitCode: 0, retries: 1 });
    expect(fatal.exitCode).toBe(0);
  });

  it('a missing command is a spawn error the user can read, then fatal', async () => {
    const td = start(`  nope:\n    cmd: /usr/bin/nope-not-here\n    startretries: 0\n`);
    const fatal = await td.waitState('nope:0', 'fatal');
    expect(fatal).toMatchObject({
      cause: 'spawn-error',
      message: 'no such file: /usr/bin/nope-not-here',
      pid: null,
    });
    expect(td.daemon.status()[0]!.spawnerror).toBe('no such file: /usr/bin/nope-not-here');
  });

  it('tells a missing workingdir apart from a missing command', async () => {
    const td = start(`  web:\n    cmd: sleep 10\n    workingdir: /srv/nope\n    startretries: 0\n`);
    const fatal = await td.waitState('web:0', 'fatal');
    expect(fatal.message).toBe('workingdir does not exist: /srv/nope');
  });

  it('reports a file that is not executable', async () => {
    const file = fixture('not-executable.txt');
    const td = start(`  web:\n    cmd: ${file}\n    startretries: 0\n`);
    const fatal = await td.waitState('web:0', 'fatal');
    expect(fatal.message).toBe(`not executable: ${file}`);
  });

  it('reports a command not found in PATH', async () => {
    const td = start(`  web:\n    cmd: nope-not-a-command\n    startretries: 0\n`);
    const fatal = await td.waitState('web:0', 'fatal');
    expect(fatal.message).toBe('command not found in PATH: nope-not-a-command');
  });

  it('reports an unknown user', async () => {
    const td = start(
      `  web:\n    cmd: sleep 10\n    user: no-such-user-here\n    startretries: 0\n`,
    );
    const fatal = await td.waitState('web:0', 'fatal');
    expect(fatal.message).toBe('no such user: no-such-user-here');
  });
});

describe('exits of a running instance', () => {
  async function exitWith(autorestart: string, code: number, exitcodes = '[0]') {
    const td = start(`
  job:
    cmd: "${fixture('exit-on-usr1.sh')} ${code}"
    starttime: 0.1
    autorestart: ${autorestart}
    exitcodes: ${exitcodes}
`);
    const running = await td.waitState('job:0', 'running');
    const mark = td.mark();
    process.kill(running.pid!, 'SIGUSR1');
    const exited = await td.waitState('job:0', 'exited', mark);
    return { td, running, exited, mark };
  }

  it('autorestart unexpected: an expected exit code stays exited', async () => {
    const { td, exited } = await exitWith('unexpected', 2, '[0, 2]');
    expect(exited.exitCode).toBe(2);
    // the status reply is ordered after any restart the exit could have caused
    expect(td.daemon.status()[0]).toMatchObject({ state: 'exited', exitcode: 2, pid: null });
    expect(td.history('job:0').slice(2)).toEqual(['running -> exited (exit)']);
  });

  it('autorestart unexpected: an unexpected exit code restarts at once', async () => {
    const { td, running, mark } = await exitWith('unexpected', 3);
    const again = await td.waitState('job:0', 'running', mark);
    expect(again.pid).not.toBe(running.pid);
    expect(td.history('job:0').slice(2)).toEqual([
      'running -> exited (exit)',
      'exited -> starting (exit)',
      'starting -> running (timeout)',
    ]);
  });

  it('autorestart always: restarts even after an expected exit', async () => {
    const { td, mark } = await exitWith('always', 0);
    await td.waitState('job:0', 'running', mark);
  });

  it('autorestart never: stays exited even after an unexpected exit', async () => {
    const { td, exited } = await exitWith('never', 9);
    expect(exited.exitCode).toBe(9);
    expect(td.daemon.status()[0]!.state).toBe('exited');
  });

  it('a death by signal is always unexpected', async () => {
    const td = start(`
  job:
    cmd: "${fixture('exit-on-usr1.sh')}"
    starttime: 0.1
    exitcodes: [0]
`);
    const running = await td.waitState('job:0', 'running');
    const mark = td.mark();
    process.kill(running.pid!, 'SIGKILL');
    const exited = await td.waitState('job:0', 'exited', mark);
    expect(exited).toMatchObject({ signal: 'SIGKILL', exitCode: null });
    await td.waitState('job:0', 'running', mark);
  });
});

describe('stop', () => {
  it('sends stopsignal to the group and records stopping -> stopped (user)', async () => {
    const td = start(`  web:${RUNNING}`);
    await td.waitState('web:0', 'running');
    const mark = td.mark();
    td.daemon.command('stop', ['web']);
    const stopped = await td.waitState('web:0', 'stopped', mark);
    expect(stopped).toMatchObject({ cause: 'user', signal: 'SIGTERM' });
    expect(isAlive(stopped.pid!)).toBe(false);
    expect(td.history('web:0').slice(2)).toEqual([
      'running -> stopping (user)',
      'stopping -> stopped (user)',
    ]);
  });

  it('sends SIGKILL when stoptime passes', async () => {
    const td = start(`
  stubborn:
    cmd: ${fixture('ignore-term.sh')}
    starttime: 0.1
    stoptime: 0.3
`);
    await td.waitState('stubborn:0', 'running');
    const mark = td.mark();
    td.daemon.command('stop', ['stubborn:0']);
    const stopped = await td.waitState('stubborn:0', 'stopped', mark);
    expect(stopped.signal).toBe('SIGKILL');
    const rows = td.daemon.events({ names: ['stubborn:0'] });
    expect(rows.at(-1)!.atMs - rows.at(-2)!.atMs).toBeGreaterThanOrEqual(290);
    expect(readFileSync(join(td.dir, 'taskmaster.log'), 'utf8')).toContain(
      'still running 0.3 s after SIGTERM, sending SIGKILL',
    );
  });

  it('uses the configured stopsignal', async () => {
    const td = start(`
  job:
    cmd: "${fixture('exit-on-usr1.sh')} 0"
    starttime: 0.1
    stopsignal: USR1
`);
    await td.waitState('job:0', 'running');
    const mark = td.mark();
    td.daemon.command('stop', ['job:0']);
    const stopped = await td.waitState('job:0', 'stopped', mark);
    // the fixture turns USR1 into exit code 0: the signal reached it, no SIGKILL was needed
    expect(stopped).toMatchObject({ exitCode: 0, signal: null });
  });

  it('reaches grandchildren: nothing of the group survives a stop', async () => {
    const td = start(`
  tree:
    cmd: "${fixture('spawn-grandchild.sh')} grandchild.pid"
    workingdir: .
    starttime: 0.1
    stoptime: 1
`);
    await td.waitState('tree:0', 'running');
    // relative paths resolve against the config file's folder
    const grandchild = Number(
      readFileSync(await waitForFile(join(td.dir, 'grandchild.pid')), 'utf8'),
    );
    expect(isAlive(grandchild)).toBe(true);
    const mark = td.mark();
    td.daemon.command('stop', ['tree']);
    await td.waitState('tree:0', 'stopped', mark);
    expect(isAlive(grandchild)).toBe(false);
  });

  it('in backoff goes straight to stopped', async () => {
    const td = start(`  flap:\n    cmd: "sh -c 'exit 1'"\n    starttime: 5\n    startretries: 3\n`);
    await td.waitState('flap:0', 'backoff');
    const mark = td.mark();
    td.daemon.command('stop', ['flap:0']);
    await td.waitState('flap:0', 'stopped', mark);
    expect(td.history('flap:0').slice(-1)).toEqual(['backoff -> stopped (user)']);
  });
});

describe('restart and start again', () => {
  it('restart stops then starts with a new pid', async () => {
    const td = start(`  web:${RUNNING}`);
    const first = await td.waitState('web:0', 'running');
    const mark = td.mark();
    td.daemon.command('restart', ['web:0']);
    const second = await td.waitState('web:0', 'running', mark);
    expect(second.pid).not.toBe(first.pid);
    expect(isAlive(first.pid!)).toBe(false);
    expect(td.history('web:0').slice(2)).toEqual([
      'running -> stopping (user)',
      'stopping -> stopped (user)',
      'stopped -> starting (user)',
      'starting -> running (timeout)',
    ]);
  });

  it('a user start after fatal begins again with fresh retries', async () => {
    const td = start(`  flap:\n    cmd: "sh -c 'exit 1'"\n    startretries: 0\n`);
    await td.waitState('flap:0', 'fatal');
    const mark = td.mark();
    td.daemon.command('start', ['flap:0']);
    const starting = await td.waitState('flap:0', 'starting', mark);
    expect(starting).toMatchObject({ cause: 'user', retries: 0 });
    await td.waitState('flap:0', 'fatal', mark);
  });
});

describe('the spawned environment', () => {
  it('sets cwd, env, umask, and appends stdout and stderr to their files', async () => {
    const td = start(`
  report:
    cmd: ${fixture('report.sh')}
    starttime: 0
    autorestart: never
    workingdir: .
    umask: 027
    env: { ANSWER: 42, STARTED_BY: taskmaster }
    stdout: report.out
    stderr: report.err
`);
    await td.waitState('report:0', 'exited');
    const out = readFileSync(join(td.dir, 'report.out'), 'utf8');
    expect(out).toContain(`cwd=${td.dir}\n`);
    expect(out).toContain('umask=0027\n');
    expect(out).toContain('ANSWER=42\n');
    expect(out).toContain('STARTED_BY=taskmaster\n');
    expect(out).toContain('TASKMASTER_PROCESS_NAME=report:0\n');
    expect(readFileSync(join(td.dir, 'report.err'), 'utf8')).toBe('to stderr\n');
    expect(existsSync(join(td.dir, 'made-by-report'))).toBe(true);
  });

  it.runIf(process.getuid?.() === 0)('runs as `user` when the daemon is root', async () => {
    const td = start(`
  report:
    cmd: ${fixture('report.sh')}
    starttime: 0
    autorestart: never
    user: nobody
    workingdir: /tmp
    stdout: report.out
`);
    await td.waitState('report:0', 'exited');
    const out = readFileSync(join(td.dir, 'report.out'), 'utf8');
    expect(out).toContain('uid=65534\n');
  });
});

/** A fixture's readiness file: looked for every 20 ms, until the deadline. */
function waitForFile(file: string): Promise<string> {
  return waitFor(interval(20).pipe(map(() => file)), existsSync, `${file} to exist`);
}

describe('crash loops (issue 7)', () => {
  const LOOP = `
    cmd: sh -c 'exit 3'
    starttime: 0
    autorestart: always
    restartdelaymax: 60
`;

  it('the first restart is at once, the next waits in backoff (crash-loop), 0.1 s then 0.2 s', async () => {
    const td = start(`  flap:${LOOP}`);
    const second = await td.waitEvent(
      (e) => e.name === 'flap:0' && e.to === 'backoff' && e.waitMs === 200,
      'the second crash-loop wait',
    );
    expect(second.cause).toBe('crash-loop');
    const rows = td.daemon.events({ names: ['flap:0'] }).filter((e) => e.seq <= second.seq);
    expect(
      rows.map(
        (e) => `${e.from} -> ${e.to} (${e.cause})${e.waitMs === null ? '' : ` ${e.waitMs}`}`,
      ),
    ).toEqual([
      'stopped -> starting (autostart)',
      'starting -> running (timeout)',
      'running -> exited (exit)',
      'exited -> starting (exit)',
      'starting -> running (timeout)',
      'running -> exited (exit)',
      'exited -> backoff (crash-loop) 100',
      'backoff -> starting (retry)',
      'starting -> running (timeout)',
      'running -> exited (exit)',
      'exited -> backoff (crash-loop) 200',
    ]);
    // the exit is recorded as unexpected: 3 is not in exitcodes
    expect(rows.filter((e) => e.to === 'exited').map((e) => e.expected)).toEqual([
      false,
      false,
      false,
    ]);
  });

  it("a user's start during the wait starts it at once; a stop there goes straight to stopped", async () => {
    const td = start(`  flap:${LOOP}`);
    await td.waitEvent(
      (e) => e.name === 'flap:0' && e.to === 'backoff' && (e.waitMs ?? 0) >= 800,
      'a crash-loop wait of 0.8 s or more',
    );
    const mark = td.mark();
    expect(td.daemon.accepts('flap:0', 'start')).toBe(true);
    td.daemon.command('start', ['flap:0']);
    const started = await td.waitState('flap:0', 'starting', mark);
    expect(`${started.from} -> ${started.to} (${started.cause})`).toBe(
      'backoff -> starting (user)',
    );
    await td.waitEvent((e) => e.name === 'flap:0' && e.to === 'backoff', 'the wait again', mark);
    const stopMark = td.mark();
    td.daemon.command('stop', ['flap:0']);
    const stopped = await td.waitState('flap:0', 'stopped', stopMark);
    expect(`${stopped.from} -> ${stopped.to} (${stopped.cause})`).toBe('backoff -> stopped (user)');
  });
});
