import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, onTestFinished } from 'vitest';
import { processStartTime } from '../../../src/process/identify.js';
import { groupAlive, killGroup } from '../../../src/process/kill-group.js';
import { leader, ownTempDir, pidIn, poll, procState } from '../../helpers/processes.js';

/** Signals to a whole process group, and telling whether anything of a group still runs. */

const FIXTURES = fileURLToPath(new URL('../../fixtures/', import.meta.url));

describe('killGroup', () => {
  it('signals every process of the group, grandchildren included', async () => {
    const dir = ownTempDir('tm-kill-');
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
    const dir = ownTempDir('tm-kill-');
    const { pid, exited } = leader(
      '/bin/sh',
      ['-c', 'sleep 60 & echo $! > gc.tmp && mv gc.tmp gc.pid'],
      dir,
    );
    expect(await exited).toEqual([0, null]);
    const grandchild = await pidIn(join(dir, 'gc.pid'));
    expect(procState(grandchild)).not.toBeNull();
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
    const dir = ownTempDir('tm-kill-');
    leader(join(FIXTURES, 'zombie-child.sh'), [join(dir, 'zombie.pid'), 'own-group']);
    const zombie = await pidIn(join(dir, 'zombie.pid'));
    onTestFinished(() => {
      killGroup(zombie, 'SIGKILL');
    });
    await poll(
      () => procState(zombie),
      (s) => s === 'Z',
      'the child to become a zombie',
    );
    expect(() => process.kill(-zombie, 0)).not.toThrow();
    expect(groupAlive(zombie)).toBe(false);
    expect(killGroup(zombie, 'SIGTERM')).toBe(true); // there is a group; nothing in it to stop
  });
});
