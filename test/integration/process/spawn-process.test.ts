import {
  existsSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { interval, map, ReplaySubject } from 'rxjs';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { ExitInfo, ProgramSpec, SpawnFailure } from '../../../src/domain/types.js';
import { processStartTime } from '../../../src/process/identify.js';
import { groupAlive, killGroup } from '../../../src/process/kill-group.js';
import {
  isSpawnFailure,
  prepareSpawn,
  type PreparedSpawn,
} from '../../../src/process/prepare-spawn.js';
import { spawnProcess } from '../../../src/process/spawn-process.js';
import { makeSpec } from '../../helpers/spec.js';
import { waitFor } from '../../helpers/wait.js';

/** Real children: output files, process groups, exits, and what their group leaves behind. */

type Outcome =
  | { type: 'spawned'; pid: number }
  | { type: 'spawnFailed'; failure: SpawnFailure }
  | { type: 'exited'; exit: ExitInfo; leftovers: boolean };
type Output = { stdout: string | null; stderr: string | null };

const NO_OUTPUT: Output = { stdout: null, stderr: null };

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tm-spawn-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function prepare(spec: Partial<ProgramSpec>): PreparedSpawn {
  const p = prepareSpawn(makeSpec(spec), 'web:0', process.env, true);
  if (isSpawnFailure(p)) throw new Error(`expected a prepared spawn, got: ${p.message}`);
  return p;
}

/** Spawns, records every outcome (replayed to late subscribers), kills the group at the end. */
function run(prepared: PreparedSpawn, output: Output = NO_OUTPUT, drainMs = 0) {
  const outcomes = new ReplaySubject<Outcome>();
  const seen: Outcome[] = [];
  let pid: number | null = null;
  onTestFinished(() => {
    if (pid !== null) killGroup(pid, 'SIGKILL');
  });
  const record = (o: Outcome) => {
    seen.push(o);
    outcomes.next(o);
  };
  spawnProcess(prepared, output, {
    spawned: (p) => {
      pid = p;
      record({ type: 'spawned', pid: p });
    },
    spawnFailed: (failure) => record({ type: 'spawnFailed', failure }),
    exited: (exit, leftovers) => record({ type: 'exited', exit, leftovers }),
    drainMs: () => drainMs,
  });
  return {
    /** What has been reported so far. */
    seen,
    next: <K extends Outcome['type']>(type: K) =>
      waitFor(outcomes, (o) => o.type === type, type) as Promise<Extract<Outcome, { type: K }>>,
  };
}

function poll<T>(read: () => T, pred: (x: T) => boolean, what: string): Promise<T> {
  return waitFor(interval(10).pipe(map(read)), pred, what);
}

/** Fields 3 onwards of /proc/PID/stat: state, ppid, pgrp, session, … */
function stat(pid: number): string[] {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return text.slice(text.lastIndexOf(')') + 2).split(' ');
}

describe('spawnProcess: output', () => {
  it('appends stdout and stderr to their files, never truncating them', async () => {
    const dir = tempDir();
    const output = { stdout: join(dir, 'out.log'), stderr: join(dir, 'err.log') };
    writeFileSync(output.stdout, 'before\n');
    const prepared = prepare({ argv: ['sh', '-c', 'echo out; echo err >&2'] });
    for (let i = 0; i < 2; i++) {
      const exited = await run(prepared, output).next('exited');
      expect(exited.exit.code).toBe(0);
    }
    expect(readFileSync(output.stdout, 'utf8')).toBe('before\nout\nout\n');
    expect(readFileSync(output.stderr, 'utf8')).toBe('err\nerr\n');
  });

  it('stdout and stderr may share one file, keeping the order of writes', async () => {
    const dir = tempDir();
    const log = join(dir, 'both.log');
    const prepared = prepare({ argv: ['sh', '-c', 'echo one; echo two >&2; echo three'] });
    await run(prepared, { stdout: log, stderr: log }).next('exited');
    await run(prepared, { stdout: log, stderr: log }).next('exited');
    expect(readFileSync(log, 'utf8')).toBe('one\ntwo\nthree\none\ntwo\nthree\n');
  });

  it('creates a missing output file; stdin is empty', async () => {
    const dir = tempDir();
    const out = join(dir, 'out.log');
    // cat ends at once on an empty stdin instead of waiting for the daemon's terminal
    await run(prepare({ argv: ['sh', '-c', 'cat; echo done'] }), {
      stdout: out,
      stderr: null,
    }).next('exited');
    expect(readFileSync(out, 'utf8')).toBe('done\n');
  });

  it('an output file that cannot be opened is a spawn failure naming it, reported later', async () => {
    const dir = tempDir();
    const missing = join(dir, 'no-dir', 'out.log');
    const r = run(prepare({ argv: ['sh', '-c', 'exit 0'] }), { stdout: missing, stderr: null });
    expect(r.seen).toEqual([]); // never synchronously, like Node's own spawn errors
    expect((await r.next('spawnFailed')).failure).toEqual({
      message: `cannot open ${missing}: ENOENT`,
      errno: 'ENOENT',
    });
    expect(r.seen.map((o) => o.type)).toEqual(['spawnFailed']);
  });

  it('names the stderr file when that is the one that cannot be opened', async () => {
    const dir = tempDir();
    const output = { stdout: join(dir, 'out.log'), stderr: dir };
    const r = run(prepare({ argv: ['sh', '-c', 'exit 0'] }), output);
    expect((await r.next('spawnFailed')).failure).toEqual({
      message: `cannot open ${dir}: EISDIR`,
      errno: 'EISDIR',
    });
  });
});

describe('spawnProcess: the process', () => {
  it('runs in its own session and process group, led by itself', async () => {
    const r = run(prepare({ argv: ['sleep', '60'] }));
    const { pid } = await r.next('spawned');
    const [, ppid, pgrp, session] = stat(pid);
    expect(Number(ppid)).toBe(process.pid);
    expect(Number(pgrp)).toBe(pid);
    expect(Number(session)).toBe(pid);
  });

  it('runs in the workingdir, with the prepared environment and umask', async () => {
    const dir = tempDir();
    const out = join(dir, 'out.log');
    const prepared = prepare({
      argv: ['sh', '-c', 'pwd; umask; echo "$ANSWER $TASKMASTER_PROCESS_NAME"'],
      workingdir: dir,
      env: { ANSWER: '42' },
      umask: 0o027,
    });
    await run(prepared, { stdout: out, stderr: null }).next('exited');
    expect(readFileSync(out, 'utf8')).toBe(`${realpathSync(dir)}\n0027\n42 web:0\n`);
  });

  it.runIf(process.getuid?.() === 0)('runs as the user when the daemon is root', async () => {
    const out = join(tempDir(), 'out.log');
    const prepared = prepare({
      argv: ['sh', '-c', 'id -u; id -g'],
      user: 'nobody',
      workingdir: '/',
    });
    await run(prepared, { stdout: out, stderr: null }).next('exited');
    expect(readFileSync(out, 'utf8')).toBe('65534\n65534\n');
  });

  it('reports the exit code', async () => {
    const r = run(prepare({ argv: ['sh', '-c', 'exit 3'] }));
    const { pid } = await r.next('spawned');
    expect(await r.next('exited')).toEqual({
      type: 'exited',
      exit: { pid, code: 3, signal: null },
      leftovers: false,
    });
  });

  it('reports the signal that killed it', async () => {
    const r = run(prepare({ argv: ['sleep', '60'] }));
    const { pid } = await r.next('spawned');
    process.kill(pid, 'SIGTERM');
    expect(await r.next('exited')).toEqual({
      type: 'exited',
      exit: { pid, code: null, signal: 'SIGTERM' },
      leftovers: false,
    });
  });

  it('a spawn that Node itself fails is reported through spawnFailed', async () => {
    const r = run({ file: '/nonexistent/cmd', args: [], cwd: '/', env: {}, uid: null, gid: null });
    expect(r.seen).toEqual([]);
    expect((await r.next('spawnFailed')).failure).toEqual({
      message: 'cannot spawn /nonexistent/cmd: ENOENT',
      errno: 'ENOENT',
    });
  });

  // Regression: `user: "4294967295"` passes prepareSpawn (a numeric user needs no passwd entry),
  // and Node's spawn rejects a uid beyond int32 with a synchronous throw, which once escaped
  // spawnProcess (leaving its output descriptors open).
  it('an impossible uid is a spawn failure, not a throw', async () => {
    const dir = tempDir();
    const prepared = prepare({ argv: ['sh', '-c', 'exit 0'], user: '4294967295' });
    expect(prepared.uid).toBe(4294967295);
    let thrown: unknown = null;
    let r: ReturnType<typeof run> | null = null;
    try {
      r = run(prepared, { stdout: join(dir, 'out.log'), stderr: null });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeNull();
    expect((await r!.next('spawnFailed')).failure.errno).not.toBeNull();
  });
});

describe('spawnProcess: the rest of the group', () => {
  it('with drainMs 0, kills what the leader left in its group and says so', async () => {
    const dir = tempDir();
    const pidFile = join(dir, 'grandchild.pid');
    const r = run(
      prepare({
        argv: ['sh', '-c', 'sleep 1000 & echo $! > gc.tmp && mv gc.tmp grandchild.pid'],
        workingdir: dir,
      }),
    );
    const { pid } = await r.next('spawned');
    const exited = await r.next('exited');
    expect(exited).toEqual({
      type: 'exited',
      exit: { pid, code: 0, signal: null },
      leftovers: true,
    });
    const grandchild = Number(readFileSync(pidFile, 'utf8'));
    expect(grandchild).toBeGreaterThan(0);
    await poll(
      () => processStartTime(grandchild),
      (t) => t === null,
      'the grandchild to die',
    );
    expect(groupAlive(pid)).toBe(false);
  });

  it('gives the leftovers up to drainMs to finish by themselves', async () => {
    const dir = tempDir();
    const r = run(
      prepare({ argv: ['sh', '-c', '(sleep 0.2; touch finished) & exit 0'], workingdir: dir }),
      NO_OUTPUT,
      10_000,
    );
    const exited = await r.next('exited');
    expect(exited.leftovers).toBe(true);
    // reported once the group was empty, and the leftover was not cut short
    expect(existsSync(join(dir, 'finished'))).toBe(true);
  });
});
