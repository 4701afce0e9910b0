import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ReplaySubject } from 'rxjs';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { ExitInfo } from '../../../src/domain/types.js';
import { isSameProcess, processStartTime } from '../../../src/process/identify.js';
import { killGroup } from '../../../src/process/kill-group.js';
import { watchProcess } from '../../../src/process/watch-process.js';
import { leader, ownTempDir, pidIn, poll, procState } from '../../helpers/processes.js';
import { waitFor } from '../../helpers/wait.js';

/** A process named for good by pid and start time (for adoption), and watching one not ours. */

const FIXTURES = fileURLToPath(new URL('../../fixtures/', import.meta.url));

describe('processStartTime', () => {
  it('reads the start time of a live process, the same each time', () => {
    const start = processStartTime(process.pid);
    expect(start).not.toBeNull();
    expect(Number.isInteger(start)).toBe(true);
    expect(start).toBeGreaterThan(0);
    expect(processStartTime(process.pid)).toBe(start);
  });

  it('orders processes by when they started', () => {
    const before = processStartTime(process.pid)!;
    const { pid } = leader('/bin/sh', ['-c', 'sleep 60']);
    expect(processStartTime(pid)).toBeGreaterThanOrEqual(before);
  });

  it('reads past a command name holding spaces and parentheses', async () => {
    // /proc/PID/stat puts the name in parentheses, unescaped: "(a) Z 1 (b)" must not be read
    // as state Z; the start time must land between those of processes started around it
    const dir = ownTempDir('tm-identify-');
    const odd = join(dir, 'a) Z 1 (b');
    copyFileSync('/bin/sleep', odd);
    const first = leader('/bin/sleep', ['60']).pid;
    const middle = leader(odd, ['60']).pid;
    const last = leader('/bin/sleep', ['60']).pid;
    await poll(
      () => readFileSync(`/proc/${middle}/comm`, 'utf8'),
      (comm) => comm === 'a) Z 1 (b\n',
      'the odd name to be exec-ed',
    );
    const t = processStartTime(middle);
    expect(t).not.toBeNull();
    expect(t).toBeGreaterThanOrEqual(processStartTime(first)!);
    expect(t).toBeLessThanOrEqual(processStartTime(last)!);
  });

  it('is null for a pid that does not exist', async () => {
    const { pid, exited } = leader('/bin/sh', ['-c', 'exit 0']);
    await exited; // reaped: the pid is free
    expect(processStartTime(pid)).toBeNull();
    expect(processStartTime(2 ** 30)).toBeNull();
  });

  it('is null for a zombie: it has exited already and is nobody to adopt', async () => {
    const dir = ownTempDir('tm-identify-');
    leader(join(FIXTURES, 'zombie-child.sh'), [join(dir, 'zombie.pid')]);
    const zombie = await pidIn(join(dir, 'zombie.pid'));
    await poll(
      () => procState(zombie),
      (s) => s === 'Z',
      'the child to become a zombie',
    );
    expect(processStartTime(zombie)).toBeNull();
  });
});

describe('isSameProcess', () => {
  it('is true for the pid with its start time only', async () => {
    const start = processStartTime(process.pid)!;
    expect(isSameProcess(process.pid, start)).toBe(true);
    expect(isSameProcess(process.pid, start + 1)).toBe(false);
    expect(isSameProcess(process.pid, start - 1)).toBe(false);
    const { pid, exited } = leader('/bin/sh', ['-c', 'exit 0']);
    await exited;
    expect(isSameProcess(pid, start)).toBe(false);
  });
});

describe('watchProcess', () => {
  type Reported = { exit: ExitInfo; leftovers: boolean };

  function watch(pid: number, procStart: number, drainMs = 0) {
    const reports = new ReplaySubject<Reported>();
    const seen: Reported[] = [];
    watchProcess(pid, procStart, {
      exited: (exit, leftovers) => {
        seen.push({ exit, leftovers });
        reports.next({ exit, leftovers });
      },
      drainMs: () => drainMs,
    });
    return { seen, exited: () => waitFor(reports, () => true, `the exit of ${pid}`) };
  }

  /**
   * A group leader that is not our child, as a process left by a previous daemon run is: the
   * shell that started it has exited, so it is an orphan of init, in a session of its own.
   * With `withChild`, it has a child of its own in its group; both pids are returned.
   */
  async function orphanLeader(withChild = false): Promise<{ pid: number; child: number | null }> {
    const dir = ownTempDir('tm-identify-');
    const body = withChild
      ? 'sleep 1000 & echo $! > child.tmp && mv child.tmp child.pid; exec sleep 1000'
      : 'exec sleep 1000';
    const { exited } = leader(
      '/bin/sh',
      ['-c', `setsid sh -c '${body}' & echo $! > pid.tmp && mv pid.tmp leader.pid`],
      dir,
    );
    await exited;
    const pid = await pidIn(join(dir, 'leader.pid'));
    onTestFinished(() => {
      killGroup(pid, 'SIGKILL');
    });
    const child = withChild ? await pidIn(join(dir, 'child.pid')) : null;
    return { pid, child };
  }

  it('reports the exit of a process that is not our child, code and signal unknown', async () => {
    const { pid } = await orphanLeader();
    const procStart = processStartTime(pid);
    expect(procStart).not.toBeNull();
    const w = watch(pid, procStart!);
    expect(w.seen).toEqual([]); // the first look found it alive
    process.kill(pid, 'SIGTERM');
    expect(await w.exited()).toEqual({
      exit: { pid, code: null, signal: null },
      leftovers: false,
    });
  });

  it('kills what the process left in its group (drainMs 0), and says so', async () => {
    const { pid, child } = await orphanLeader(true);
    const w = watch(pid, processStartTime(pid)!);
    process.kill(pid, 'SIGKILL');
    expect(await w.exited()).toEqual({
      exit: { pid, code: null, signal: null },
      leftovers: true,
    });
    await poll(
      () => processStartTime(child!),
      (t) => t === null,
      'the leftover to die',
    );
  });

  it('reports at once a pid that now names another process, or none', async () => {
    const start = processStartTime(process.pid)!;
    // our own pid with another start time: what a reused pid looks like
    const reused = watch(process.pid, start + 1);
    expect(await reused.exited()).toEqual({
      exit: { pid: process.pid, code: null, signal: null },
      leftovers: false,
    });
    const { pid, exited } = leader('/bin/sh', ['-c', 'exit 0']);
    await exited;
    expect((await watch(pid, start).exited()).exit).toEqual({ pid, code: null, signal: null });
  });
});
