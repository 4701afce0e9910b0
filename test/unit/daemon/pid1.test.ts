import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { initPlan, UNDER_INIT } from '../../../src/daemon/pid1.js';
import { tempDir } from '../../helpers/test-daemon.js';

// issue 7: who runs tini, when (the e2e proof is test/e2e/pid1.test.ts)

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A PATH of two folders; `tini` is an executable file in the second one when `hasTini`. */
function searchPath(hasTini: boolean, mode = 0o755): string {
  const dir = tempDir('tm-pid1-');
  dirs.push(dir);
  for (const sub of ['a', 'b']) mkdirSync(join(dir, sub));
  if (hasTini) {
    writeFileSync(join(dir, 'b', 'tini'), '#!/bin/sh\n');
    chmodSync(join(dir, 'b', 'tini'), mode);
  }
  return `${join(dir, 'a')}::${join(dir, 'b')}`;
}

describe('initPlan', () => {
  it('runs under the tini found in PATH when it is PID 1', () => {
    const PATH = searchPath(true);
    expect(initPlan(1, { PATH })).toEqual({
      kind: 'tini',
      tini: join(PATH.split(':')[2]!, 'tini'),
    });
  });

  it('does nothing when it is not PID 1, or already runs under tini', () => {
    const PATH = searchPath(true);
    expect(initPlan(4242, { PATH })).toEqual({ kind: 'none' });
    expect(initPlan(1, { PATH, [UNDER_INIT]: '1' })).toEqual({ kind: 'none' });
  });

  it('warns, saying how to fix it, when there is no tini that can run', () => {
    for (const PATH of [searchPath(false), searchPath(true, 0o644)]) {
      expect(initPlan(1, { PATH })).toEqual({
        kind: 'alone',
        warning:
          'running as PID 1 without tini: the orphaned processes of the programs will not be ' +
          'reaped, and their zombies will pile up; install tini (apt-get install tini, apk add ' +
          'tini), which taskmasterd then runs itself under, or start the container with an init ' +
          '(docker run --init)',
      });
    }
  });
});
