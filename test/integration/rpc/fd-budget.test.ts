import { execFileSync } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { describe, expect, it, onTestFinished } from 'vitest';
import { fdReserve, fdUse, parseFileLimit } from '../../../src/rpc/fd-budget.js';

/** The descriptors the daemon has left (issue 7), read from the real /proc of real processes. */

describe('fd budget', () => {
  it('reads the soft limit of open files that ulimit -n sets', () => {
    const limits = execFileSync('/bin/sh', ['-c', 'ulimit -n 64; cat /proc/self/limits'], {
      encoding: 'utf8',
    });
    expect(parseFileLimit(limits)).toBe(64);
    expect(parseFileLimit(limits.replace(/^(Max open files\s+)64/m, '$1unlimited'))).toBeNull();
    expect(parseFileLimit('Max processes  63459  63459  processes\n')).toBeNull();
  });

  it('counts the descriptors this process has open, and its own soft limit', () => {
    const soft = Number(execFileSync('/bin/sh', ['-c', 'ulimit -Sn'], { encoding: 'utf8' }));
    const before = fdUse()!;
    expect(before.limit).toBe(soft);
    const fds = Array.from({ length: 10 }, () => openSync('/dev/null', 'r'));
    onTestFinished(() => fds.forEach((fd) => closeSync(fd)));
    expect(fdUse()!.open).toBe(before.open + 10);
  });

  it('keeps the reserve, but never more than half the limit', () => {
    expect(fdReserve(1024, 32)).toBe(32);
    expect(fdReserve(64, 32)).toBe(32);
    expect(fdReserve(40, 32)).toBe(20);
  });
});
