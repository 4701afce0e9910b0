import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { interval, map } from 'rxjs';
import { onTestFinished } from 'vitest';
import { killGroup } from '../../src/process/kill-group.js';
import { waitFor } from './wait.js';

/** A temp dir removed when the test finishes. */
export function ownTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A child leading its own process group, as spawnProcess starts them; SIGKILLed at the end. */
export function leader(file: string, args: string[], cwd = '/') {
  const child = spawn(file, args, { cwd, detached: true, stdio: 'ignore' });
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const pid = child.pid!;
  onTestFinished(() => {
    killGroup(pid, 'SIGKILL');
  });
  return { pid, exited };
}

/** `read()` every 10 ms until `pred` holds, or an error naming what never came. */
export function poll<T>(read: () => T, pred: (x: T) => boolean, what: string): Promise<T> {
  return waitFor(interval(10).pipe(map(read)), pred, what);
}

/** The pid a fixture writes to `file` (atomically, by rename), once it is there. */
export async function pidIn(file: string): Promise<number> {
  await poll(() => existsSync(file), Boolean, `${file} to be written`);
  return Number(readFileSync(file, 'utf8'));
}

/** Field 3 of /proc/PID/stat: R, S, Z, … or null once the process is gone. */
export function procState(pid: number): string | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ')[0] ?? null;
  } catch {
    // gone
    return null;
  }
}
