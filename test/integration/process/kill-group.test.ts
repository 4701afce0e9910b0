import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { interval, map } from 'rxjs';
import { describe, expect, it, onTestFinished } from 'vitest';
import { processStartTime } from '../../../src/process/identify.js';
import { groupAlive, killGroup } from '../../../src/process/kill-group.js';
import { waitFor } from '../../helpers/wait.js';

/** Signals to a whole process group, and telling whether anything of a group still runs. */

const FIXTURES = fileURLToPath(new URL('../../fixtures/', import.meta.url));

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tm-kill-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A child leading its own process group, as spawnProcess starts them; SIGKILLed at the end. */
function leader(file: string, args: string[], cwd = '/') {
  const child = spawn(file, args, { cwd, detached: true, stdio: 'ignore' });
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const pid = child.pid!;
  onTestFinished(() => {
    killGroup(pid, 'SIGKILL');
  });
  return { pid, exited };
}

function poll<T>(read: () => T, pred: (x: T) => boolean, what: string): Promise<T> {
  return waitFor(interval(10).pipe(map(read)), pred, what);
}

/** The pid a fixture writes to `file` (atomically, by rename), once it is there. */
async function pidIn(file: string): Promise<number> {
  await poll(() => existsSync(file), Boolean, `${file} to be written`);
  return Number(readFileSync(file, 'utf8'));
}

/** Field 3 of /proc/PID/stat: R, S, Z, … or null once the process is gone. */
function state(pid: number): string | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ')[0] ?? null;
  } catch {
    // gone
    return null;
  }
}

describe('killGroup', () => {
  it('signals every process of the group, grandchildren included', async () => {
    const dir = tempDir();
    const { pid, exited } = leader(join(FIXTURES, 'spawn-grandchild.sh'), [join(dir, 'gc.pid')]);
    const grandchild = await pidIn(join(dir, 'gc.pid'));
    expect(killGroup(pid, 'SIGTERM')).toBe(true);
    expect(await exited).toEqual([null, 'SIGTERM']);
    // the grandchild is not ours to reap: it is gone once it is a zombie or less
    await poll(
      () => processStartTime(grandchild),
      (t) => t === null,
      'the grandchild to die',
    );
  });

  it('returns false for a group that no longer exists', async () => {
    const { pid, exited } = leader('/bin/sh', ['-c', 'exit 0']);
    await exited; // reaped by Node: the group is gone
    expect(killGroup(pid, 'SIGTERM')).toBe(false);
    expect(killGroup(pid, 'SIGKILL')).toBe(false);
  });

  it('throws other errors, such as an unknown signal', () => {
    const { pid } = leader('/bin/sh', ['-c', 'sleep 60']);
    expect(() => killGroup(pid, 'SIGNOPE' as NodeJS.Signals)).toThrow();
  });
});

describe('groupAlive', () => {
  it('is true while the leader runs, false once the group is gone', async () => {
    const { pid, exited } = leader('/bin/sh', ['-c', 'sleep 60; exit 0']);
    expect(groupAlive(pid)).toBe(true);
    killGroup(pid, 'SIGKILL');
    await exited;
    // the sleep, not our child, dies in its own time after the signal
    await poll(
      () => groupAlive(pid),
      (alive) => !alive,
      'the group to die',
    );
  });

  it('is true while a member runs after the leader has exited', async () => {
    const dir = tempDir();
    const { pid, exited } = leader(
      '/bin/sh',
      ['-c', 'sleep 60 & echo $! > gc.tmp && mv gc.tmp gc.pid'],
      dir,
    );
    expect(await exited).toEqual([0, null]);
    const grandchild = await pidIn(join(dir, 'gc.pid'));
    expect(state(grandchild)).not.toBeNull();
    expect(groupAlive(pid)).toBe(true);
    killGroup(pid, 'SIGKILL');
    await poll(
      () => groupAlive(pid),
      (alive) => !alive,
      'the group to die',
    );
  });

  it('is false while only a zombie remains, although kill(-pgid, 0) still succeeds', async () => {
    // the zombie's parent (the fixture, now `sleep`) never reaps it, so it stays a zombie,
    // alone in its group, for as long as this test needs: what an orphan is until init reaps it
    const dir = tempDir();
    leader(join(FIXTURES, 'zombie-child.sh'), [join(dir, 'zombie.pid'), 'own-group']);
    const zombie = await pidIn(join(dir, 'zombie.pid'));
    onTestFinished(() => {
      killGroup(zombie, 'SIGKILL');
    });
    await poll(
      () => state(zombie),
      (s) => s === 'Z',
      'the child to become a zombie',
    );
    expect(() => process.kill(-zombie, 0)).not.toThrow();
    expect(groupAlive(zombie)).toBe(false);
    expect(killGroup(zombie, 'SIGTERM')).toBe(true); // there is a group; nothing in it to stop
  });
});
