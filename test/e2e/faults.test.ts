import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { RpcConnection } from '../../src/rpc/connection.js';
import { CLEAN_STOP, program, programs, Sandbox, withDeadline } from '../helpers/daemon-process.js';
import { startDaemon } from '../helpers/tm-process.js';

/**
 * Issue 7, an operator's worst day: each test reproduces a fault seen on the daemon before the
 * fix, with real processes, and checks the promise it broke (its row in docs/faults.md).
 */

async function connect(sandbox: Sandbox, port: number): Promise<RpcConnection> {
  const token = readFileSync(sandbox.path('taskmaster.token'), 'utf8').trim();
  const connection = await RpcConnection.open({ host: '127.0.0.1', port }, token, 2000);
  onTestFinished(() => connection.close());
  return connection;
}

/** `status` answered within `ms`, `times` times in a row, each on a new connection (a new tm). */
async function answersStatus(sandbox: Sandbox, port: number, times: number, ms: number) {
  for (let i = 0; i < times; i++) {
    const started = Date.now();
    const rows = await withDeadline(
      (async () => (await connect(sandbox, port)).call('status', { names: [] }))(),
      ms,
      () => `status answer ${i + 1} of ${times} within ${ms} ms`,
    );
    expect(rows.length).toBeGreaterThan(0);
    expect(Date.now() - started).toBeLessThan(ms);
  }
}

const crasher = (name: string, ...extra: string[]) =>
  program(
    name,
    "cmd: sh -c 'exit 1'",
    'starttime: 0',
    'autorestart: always',
    'startretries: 1',
    ...extra,
  );

describe('a crash storm (issue 7.2)', () => {
  it('three tight crash loops beside 300 quiet instances: status answers, timers fire, SIGTERM is obeyed', async () => {
    const sandbox = Sandbox.create(
      programs(crasher('storm', 'numprocs: 3'), program('quiet', 'numprocs: 300')),
    );
    const { daemon, port } = await startDaemon(sandbox);
    // the quiet ones reach running only by their starttime timers
    await sandbox.waitState('quiet:299', 'running', 0, 20_000);
    await answersStatus(sandbox, port, 10, 1000);
    const states = (await (await connect(sandbox, port)).call('status', { names: ['quiet'] })).map(
      (s) => s.state,
    );
    expect(new Set(states)).toEqual(new Set(['running']));
    // the loops are throttled: waits in backoff, cause crash-loop
    const causes = sandbox.history('storm:0').filter((h) => h.includes('(crash-loop)'));
    expect(causes[0]).toBe('exited -> backoff (crash-loop)');
    expect(await withDeadline(sandbox.stop(daemon), 30_000, () => 'the daemon to stop')).toEqual(
      CLEAN_STOP,
    );
  }, 60_000);

  it('restartdelaymax 0 (never wait) with 200 instances looping: status within 1 s, SIGTERM obeyed', async () => {
    const sandbox = Sandbox.create(
      programs(crasher('storm', 'numprocs: 200', 'restartdelaymax: 0'), program('quiet')),
    );
    const { daemon, port } = await startDaemon(sandbox);
    await sandbox.waitState('quiet:0', 'running', 0, 20_000);
    // the storm is on: many restarts of every looping instance
    await sandbox.waitEvent(
      (e) => e.name === 'storm:199' && e.to === 'starting' && e.cause === 'exit',
      'storm:199 restarting',
      0,
      20_000,
    );
    await answersStatus(sandbox, port, 5, 1000);
    expect(sandbox.history('storm:0').some((h) => h.includes('crash-loop'))).toBe(false);
    expect(await withDeadline(sandbox.stop(daemon), 30_000, () => 'the daemon to stop')).toEqual(
      CLEAN_STOP,
    );
  }, 60_000);
});

/** A tmpfs of `size` mounted on a new temp dir (CI runs as root); null where mounting is refused. */
function smallDisk(size: string): string | null {
  const dir = mkdtempSync(join(tmpdir(), 'tm-disk-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return null;
  }
  onTestFinished(() => {
    // lazy: the daemon may still hold the database open while the sandbox is torn down
    execFileSync('umount', ['-l', dir]);
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

/** Writes to `file` until the disk says it is full. */
function fill(file: string): void {
  const fd = openSync(file, 'w');
  const chunk = Buffer.alloc(64 * 1024, 1);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    closeSync(fd);
  }
}

describe('a full event-log disk (issue 7.3)', () => {
  it('supervision and commands go on, the loss is said once, and writing resumes when space returns', async (ctx) => {
    const disk = smallDisk('2m');
    if (disk === null) {
      ctx.skip('mount -t tmpfs was refused (not root?): the full-disk test needs it');
      return;
    }
    const sandbox = Sandbox.create(
      `programs:\n${crasher('flap', 'numprocs: 5', 'restartdelaymax: 0.1')}${program('quiet')}` +
        `daemon:\n  eventlog: ${join(disk, 'taskmaster.db')}\nserver:\n  port: 0\n`,
    );
    const { daemon, port } = await startDaemon(sandbox);
    await daemon.waitLine(/INFO quiet:0: running pid \d+/);
    fill(join(disk, 'filler'));
    await daemon.waitLine(/ERROR event log .*: cannot write .*history is not being recorded/);
    const tm = await connect(sandbox, port);
    // a stop stops and a start starts, with the history not written
    expect(await tm.call('stop', { names: ['quiet'], wait: true })).toEqual([
      { name: 'quiet:0', ok: true, message: 'stopped', code: null },
    ]);
    expect(await tm.call('start', { names: ['quiet'], wait: true })).toEqual([
      { name: 'quiet:0', ok: true, message: 'started', code: null },
    ]);
    await answersStatus(sandbox, port, 3, 1000);
    // said once, however many rows are lost
    expect(daemon.lines.filter((l) => l.includes('history is not being recorded'))).toHaveLength(1);
    rmSync(join(disk, 'filler'));
    const { match } = await daemon.waitLine(
      /WARN event log .*: writing again; (\d+) rows were lost/,
    );
    expect(Number(match[1])).toBeGreaterThan(0);
    expect(await withDeadline(sandbox.stop(daemon), 30_000, () => 'the daemon to stop')).toEqual(
      CLEAN_STOP,
    );
  }, 60_000);
});
