import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { openEventDb } from '../../../src/eventlog/db.js';
import { processRegister } from '../../../src/eventlog/processes.js';
import { bootId, processStartTime } from '../../../src/process/identify.js';
import { TestDaemon, isAlive, tempDir } from '../../helpers/test-daemon.js';

/** Adoption: what the process register of a previous run makes the daemon adopt, or not. */

async function previousRun(dir: string, boot: string | null): Promise<number> {
  const child = spawn('sleep', ['1000'], { detached: true, stdio: 'ignore' });
  onTestFinished(() => {
    if (isAlive(child.pid!)) process.kill(-child.pid!, 'SIGKILL');
  });
  await once(child, 'spawn');
  child.unref();
  const db = openEventDb(join(dir, 'taskmaster.db'));
  processRegister(db).spawned({
    pid: child.pid!,
    procStart: processStartTime(child.pid!)!,
    name: 'web:0',
    bootId: boot,
  });
  db.close();
  return child.pid!;
}

const CONFIG = `programs:\n  web:\n    cmd: sleep 1000\n    starttime: 0.1\n    stoptime: 1\n`;

describe('adoption at start', () => {
  it('adopts a process of this boot that is still alive: same pid, never a second copy', async () => {
    const dir = tempDir();
    const pid = await previousRun(dir, bootId());
    const td = TestDaemon.start(CONFIG, dir);
    onTestFinished(() => td.stop());
    const adopted = await td.waitState('web:0', 'running');
    expect(adopted).toMatchObject({ cause: 'adopted', pid });
    expect(td.history('web:0')).toEqual(['stopped -> running (adopted)']);
    const mark = td.mark();
    td.daemon.command('stop', ['web:0']);
    await td.waitState('web:0', 'stopped', mark);
    expect(isAlive(pid)).toBe(false);
  });

  it('leaves alone a process registered in another boot, whatever now has its pid', async () => {
    const dir = tempDir();
    const pid = await previousRun(dir, 'a-boot-long-gone');
    const td = TestDaemon.start(CONFIG, dir);
    onTestFinished(() => td.stop());
    const started = await td.waitState('web:0', 'running');
    expect(started.pid).not.toBe(pid);
    expect(td.history('web:0')).toEqual([
      'stopped -> starting (autostart)',
      'starting -> running (timeout)',
    ]);
    // not ours: neither adopted nor stopped
    expect(isAlive(pid)).toBe(true);
  });
});
