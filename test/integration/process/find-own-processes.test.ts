import { spawn } from 'node:child_process';
import { describe, expect, it, onTestFinished } from 'vitest';
import { findOwnProcesses, OWNER_ENV } from '../../../src/process/find-own-processes.js';
import { processStartTime } from '../../../src/process/identify.js';
import { killGroup } from '../../../src/process/kill-group.js';

/** A `sleep` leading its own group, with `env` added; SIGKILLed (by pid) at the end. */
function sleeper(env: Record<string, string>, detached = true): number {
  const child = spawn('sleep', ['60'], {
    detached,
    stdio: 'ignore',
    env: { ...process.env, ...env },
  });
  const pid = child.pid!;
  onTestFinished(() => {
    if (detached) killGroup(pid, 'SIGKILL');
    else child.kill('SIGKILL');
  });
  return pid;
}

describe('findOwnProcesses (issue 7.1: a fork the register never heard of)', () => {
  it('finds the group leaders marked with this event log, with their instance name', () => {
    const log = `/tmp/tm-own-${process.pid}-${Date.now()}.db`;
    const ours = sleeper({ [OWNER_ENV]: log, TASKMASTER_PROCESS_NAME: 'web:3' });
    sleeper({ [OWNER_ENV]: `${log}.other`, TASKMASTER_PROCESS_NAME: 'web:3' });
    sleeper({ TASKMASTER_PROCESS_NAME: 'web:3' });
    // marked but not the leader of its group: something an instance started, not an instance
    sleeper({ [OWNER_ENV]: log, TASKMASTER_PROCESS_NAME: 'web:4' }, false);
    expect(findOwnProcesses(log)).toEqual([
      { pid: ours, procStart: processStartTime(ours), name: 'web:3' },
    ]);
  });
});
