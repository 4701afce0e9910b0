import { existsSync, readdirSync, readFileSync, readlinkSync, renameSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { IGNORED_SIGNALS } from '../../src/daemon/signal-handlers.js';
import {
  CLEAN_STOP,
  program,
  programs,
  Sandbox,
  waitUntil,
  type DaemonProcess,
} from '../helpers/daemon-process.js';
import { runTm, startDaemon } from '../helpers/tm-process.js';
import { isAlive } from '../helpers/test-daemon.js';

/**
 * Signals (issue 8): SIGUSR2 reopens the daemon log for an external logrotate, and no
 * signal short of SIGKILL ends the daemon or leaves its children unsupervised. SIGQUIT's clean
 * shutdown is in daemon.test.ts, beside SIGTERM's and SIGINT's.
 */

/** The files the daemon holds open, by path. */
function openFiles(pid: number): string[] {
  const dir = `/proc/${pid}/fd`;
  return readdirSync(dir).flatMap((fd) => {
    try {
      return [readlinkSync(`${dir}/${fd}`)];
    } catch {
      // closed while we looked
      return [];
    }
  });
}

async function running(sb: Sandbox): Promise<{ d: DaemonProcess; port: number; web: number }> {
  const { daemon: d, port } = await startDaemon(sb);
  const web = await d.waitRunning('web:0');
  return { d, port, web };
}

describe('SIGUSR2 (logrotate)', () => {
  it('after the log is moved away, opens a new one at its path, and lets go of the old', async () => {
    const sb = Sandbox.create(programs(program('web')));
    const { d } = await running(sb);
    const log = sb.path('taskmaster.log');
    const moved = sb.path('taskmaster.log.1');
    // what logrotate does before its postrotate script runs
    renameSync(log, moved);
    expect(existsSync(log)).toBe(false);

    d.signal('SIGUSR2');
    await sb.waitFile('taskmaster.log');
    const reopened = / INFO SIGUSR2 received: log file reopened$/;
    await waitUntil(
      () => reopened.test(readFileSync(log, 'utf8').trimEnd()),
      'the reopen line in the new log file',
    );
    expect(openFiles(d.pid)).toContain(log);
    expect(openFiles(d.pid)).not.toContain(moved);

    // what comes next goes to the new file only
    expect(await sb.stop(d)).toEqual(CLEAN_STOP);
    expect(readFileSync(log, 'utf8')).toMatch(/ INFO shutdown complete\n$/);
    const old = readFileSync(moved, 'utf8');
    expect(old).toMatch(/ INFO web:0: running pid \d+\n$/);
    expect(old).not.toContain('SIGUSR2');
  });
});

describe('the daemon log rotated by size', () => {
  it('keeps taskmaster.log, .1 and .2 with backups 2, none over maxbytes', async () => {
    const yaml = `${programs(program('web'))}daemon:\n  logfile: { file: taskmaster.log, maxbytes: 2KB, backups: 2 }\n`;
    const sb = Sandbox.create(yaml);
    const { d } = await running(sb);
    // each reload is a line of the log: a hundred of them are several times 2 KB
    for (let i = 0; i < 100; i++) {
      const mark = d.mark();
      d.signal('SIGHUP');
      await d.waitLine(/ INFO reload \(revision \d+\): no change$/, mark);
    }
    expect(await sb.stop(d)).toEqual(CLEAN_STOP);

    const logs = readdirSync(sb.dir).filter((f) => f.startsWith('taskmaster.log'));
    expect(logs.sort()).toEqual(['taskmaster.log', 'taskmaster.log.1', 'taskmaster.log.2']);
    for (const f of logs) expect(statSync(sb.path(f)).size).toBeLessThanOrEqual(2048);
    // the newest lines are in taskmaster.log, the ones before them in .1, then .2
    const text = ['taskmaster.log.2', 'taskmaster.log.1', 'taskmaster.log']
      .map((f) => readFileSync(sb.path(f), 'utf8'))
      .join('');
    const revisions = [...text.matchAll(/ reload \(revision (\d+)\)/g)].map((m) => Number(m[1]));
    expect(revisions.length).toBeGreaterThan(20);
    expect(revisions).toEqual(revisions.map((_, k) => revisions[0]! + k));
    expect(revisions.at(-1)).toBe(101);
    expect(text).toMatch(/ INFO shutdown complete\n$/);
  });
});

describe('signals that would end a process by default', () => {
  // SIGPIPE and SIGXFSZ are ignored from Node's start; SIGUSR2 and SIGHUP do their work and the
  // daemon goes on (SIGPOLL and SIGIOT are SIGIO and SIGABRT: the same numbers)
  const SIGNALS: NodeJS.Signals[] = [...IGNORED_SIGNALS, 'SIGPIPE', 'SIGXFSZ', 'SIGUSR2', 'SIGHUP'];
  const SAID: Partial<Record<NodeJS.Signals, RegExp>> = {
    SIGUSR2: / INFO SIGUSR2 received: log file reopened$/,
    SIGHUP: / INFO reload \(revision \d+\): no change$/,
  };

  it('leave the daemon alive, answering, and its children running', async () => {
    const sb = Sandbox.create(programs(program('web')));
    const { d, port, web } = await running(sb);
    const seq = sb.lastSeq();

    for (const signal of SIGNALS) {
      const mark = d.mark();
      d.signal(signal);
      const said = SAID[signal] ?? new RegExp(` WARN ${signal} received: ignored$`);
      // ignored by the kernel: there is no line to wait for, the reply to status comes after it
      if (signal !== 'SIGPIPE' && signal !== 'SIGXFSZ') await d.waitLine(said, mark);
      const status = await runTm(sb, ['-c', 'config.yaml', '--port', String(port), 'status']);
      // the signal is in the message: which one it was is what a failure needs to say
      expect(`${signal}: ${status.code} ${status.stdout}`).toMatch(
        new RegExp(`^${signal}: 0 web:0 +running +pid ${web}, `),
      );
    }

    expect(d.isRunning).toBe(true);
    expect(isAlive(web)).toBe(true);
    // the instance was never stopped or restarted
    expect(sb.history('web:0', seq)).toEqual([]);
    // SIGUSR1 did not open Node's inspector (it says so on stderr when it does)
    expect(d.lines.filter((l) => /Debugger listening/.test(l))).toEqual([]);
    expect(await sb.stop(d, 'SIGQUIT')).toEqual(CLEAN_STOP);
  });

  it('a flood of one is one line, then a count per 10 s, not a line each', async () => {
    const sb = Sandbox.create(programs(program('web')));
    const { d } = await running(sb);
    const mark = d.mark();
    // pending signals of one kind merge in the kernel: each SIGALRM is made to arrive alone by
    // waiting for the reload of a SIGHUP sent after it (the lower number is delivered first,
    // and libuv runs the handlers of one wake-up in the order the signals came)
    const ROUNDS = 100;
    for (let i = 0; i < ROUNDS; i++) {
      const before = d.mark();
      d.signal('SIGALRM');
      d.signal('SIGHUP');
      await d.waitLine(/ INFO reload \(revision \d+\): no change$/, before);
    }

    // the shutdown says what was counted and not yet said
    expect(await sb.stop(d)).toEqual(CLEAN_STOP);
    const said = d.lines.slice(mark).filter((l) => l.includes('SIGALRM'));
    expect(said[0]).toMatch(/ WARN SIGALRM received: ignored$/);
    const count = / WARN SIGALRM received (\d+) more times? in the last 10 s: \1 ignored$/;
    const counted = said.slice(1).map((l) => Number(count.exec(l)?.[1]));
    expect(counted.reduce((a, b) => a + b, 0)).toBe(ROUNDS - 1);
    // one line at once and one a 10 s interval: the rounds take well under 20 s
    expect(said.length).toBeLessThanOrEqual(3);
  });
});
