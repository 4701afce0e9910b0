import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { firstValueFrom, ReplaySubject, Subject } from 'rxjs';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { FileLimit } from '../../../src/domain/types.js';
import { OutputRotator } from '../../../src/daemon/output-rotator.js';
import { followFile } from '../../../src/daemon/tail-file.js';
import { killGroup } from '../../../src/process/kill-group.js';
import { spawnProcess } from '../../../src/process/spawn-process.js';
import { waitUntil } from '../../helpers/daemon-process.js';
import { ownTempDir } from '../../helpers/processes.js';
import { fixture } from '../../helpers/test-daemon.js';
import { waitFor } from '../../helpers/wait.js';

/**
 * Copy-truncate rotation under real writers: children spawned as the daemon spawns them (their
 * stdout an O_APPEND descriptor they write themselves), writing numbered 32-byte lines at a pace
 * the fixture caps, so the tests can say how far past maxbytes a file may get and which lines
 * the truncate window may have cost.
 */

const MiB = 1024 * 1024;
const LINE_BYTES = 32;
/** The fixture's pace in these tests: 32 KiB (1024 lines) in one write every 16 ms at most. */
const BURST = 32 * 1024;
const TICK_MS = 16;
const MAX_RATE = BURST / (TICK_MS / 1000); // 2 MiB/s
const SETTLE_MS = 200;

/** A child of numbered-lines.js appending to `file`, killed (its group) at the end. */
function writer(file: string, bytes: number, burst = BURST, tickMs = TICK_MS): Promise<void> {
  return new Promise((resolve, reject) => {
    spawnProcess(
      {
        file: process.execPath,
        args: [fixture('numbered-lines.js'), String(bytes), String(burst), String(tickMs)],
        cwd: '/',
        env: { PATH: process.env.PATH ?? '' },
        uid: null,
        gid: null,
      },
      { stdout: file, stderr: null },
      {
        spawned: (pid) =>
          onTestFinished(() => {
            killGroup(pid, 'SIGKILL');
          }),
        spawnFailed: (f) => reject(new Error(f.message)),
        exited: (exit) =>
          exit.code === 0 ? resolve() : reject(new Error(`writer exited ${JSON.stringify(exit)}`)),
        drainMs: () => 0,
      },
    );
  });
}

type Logged = { level: string; line: string };

function rotator(options: { retryMs?: number } = {}) {
  const logged: Logged[] = [];
  const lines = new ReplaySubject<Logged>();
  const record = (level: string) => (line: string) => {
    logged.push({ level, line });
    lines.next({ level, line });
  };
  const r = new OutputRotator({
    log: { info: record('info'), warn: record('warn'), error: record('error') },
    settleMs: SETTLE_MS,
    ...options,
  });
  onTestFinished(() => r.close());
  const said = (pattern: RegExp, what: string, ms?: number) =>
    waitFor(lines, (l) => pattern.test(l.line), what, ms);
  return { r, logged, said };
}

const limits = (entries: Record<string, FileLimit>) => new Map(Object.entries(entries));

/** The numbers of the whole lines of `text`, and the malformed lines (a cut write) in it. */
function numbers(text: string): { numbers: number[]; bad: string[] } {
  const lines = text.split('\n');
  // the text ends with a newline unless its last write was cut
  const last = lines.pop()!;
  const bad = last === '' ? [] : [last];
  const out: number[] = [];
  for (const line of lines) {
    if (/^\d{10} -{20}$/.test(line)) out.push(Number(line.slice(0, 10)));
    else bad.push(line);
  }
  return { numbers: out, bad };
}

/** The lines missing between consecutive numbers; a number that goes back is an error. */
function gaps(ns: number[]): number[] {
  const out: number[] = [];
  for (let i = 1; i < ns.length; i++) {
    // one expect a line would take seconds: only a failure is handed to it
    if (ns[i]! <= ns[i - 1]!) expect(`line ${ns[i]} after ${ns[i - 1]}`).toBe('increasing');
    if (ns[i]! !== ns[i - 1]! + 1) out.push(ns[i]! - ns[i - 1]! - 1);
  }
  return out;
}

/**
 * What a rotation may lose: the write in flight when the copy found the end (half read, half
 * not) and anything written in the microseconds between that read and the truncate: at the
 * fixture's pace, one write at most, so two to be safe.
 */
const LOST_LINES_PER_ROTATION = (2 * BURST) / LINE_BYTES;

describe('OutputRotator', () => {
  it('keeps a 4 MiB writer at file, file.1 and file.2, each within one look of maxbytes, losing at most the truncate window', async () => {
    const dir = ownTempDir('tm-rotate-');
    const file = join(dir, 'out');
    const maxBytes = 1 * MiB;
    const { r, logged } = rotator();
    r.update(limits({ [file]: { maxBytes, backups: 2 } }));
    const total = 4 * MiB;
    await writer(file, total);
    // the last look comes at most SETTLE_MS after the last write
    await waitUntil(() => statSync(file).size <= maxBytes, 'the file to be back under maxbytes');

    expect(readdirSync(dir).sort()).toEqual(['out', 'out.1', 'out.2']);
    const rotations = logged.filter((l) => l.line.includes('moved to')).length;
    expect(rotations).toBeGreaterThanOrEqual(2);
    // a file passing maxbytes is looked at within SETTLE_MS (plus the timer's lateness on a
    // loaded machine), and copied; meanwhile the writer adds at most MAX_RATE a second
    const bound = maxBytes + MAX_RATE * ((SETTLE_MS + 300) / 1000);
    for (const backup of ['out.1', 'out.2']) {
      expect(statSync(join(dir, backup)).size).toBeLessThanOrEqual(bound);
    }

    // oldest first: what is kept is one run of lines up to the last, with a gap at most at
    // each rotation, and no line cut except where a rotation cut a write
    const parts = ['out.2', 'out.1', 'out'].map((f) => numbers(readFileSync(join(dir, f), 'utf8')));
    for (const p of parts) expect(gaps(p.numbers)).toEqual([]);
    const all = parts.flatMap((p) => p.numbers);
    expect(all.at(-1)).toBe(total / LINE_BYTES - 1);
    for (const gap of gaps(all)) expect(gap).toBeLessThanOrEqual(LOST_LINES_PER_ROTATION);
    expect(parts.flatMap((p) => p.bad).length).toBeLessThanOrEqual(2);
    expect(logged.filter((l) => l.level !== 'info')).toEqual([]);
  });

  it('never rotates a file of maxbytes 0', async () => {
    const dir = ownTempDir('tm-rotate-');
    const [bounded, unbounded] = [join(dir, 'bounded'), join(dir, 'unbounded')];
    const { r, said } = rotator();
    r.update(
      limits({
        [bounded]: { maxBytes: 1 * MiB, backups: 2 },
        [unbounded]: { maxBytes: 0, backups: 2 },
      }),
    );
    const rotated = said(/bounded: passed/, 'the bounded file to rotate');
    // written alike, at once: both are over 1 MiB when the bounded one is looked at
    await Promise.all([
      writer(bounded, 2 * MiB, 64 * 1024, 1),
      writer(unbounded, 2 * MiB, 64 * 1024, 1),
    ]);
    await rotated;
    await waitUntil(() => statSync(bounded).size <= MiB, 'the bounded file to be truncated');
    expect(existsSync(`${unbounded}.1`)).toBe(false);
    expect(statSync(unbounded).size).toBe(2 * MiB);
  });

  it('lets go of a file no longer given, and applies a lowered limit at once', async () => {
    const dir = ownTempDir('tm-rotate-');
    const [kept, dropped] = [join(dir, 'kept'), join(dir, 'dropped')];
    const { r, said } = rotator();
    r.update(
      limits({
        [kept]: { maxBytes: 1 * MiB, backups: 1 },
        [dropped]: { maxBytes: 1 * MiB, backups: 1 },
      }),
    );
    // as a reload that removed one program and lowered the other's maxbytes
    r.update(limits({ [kept]: { maxBytes: 256 * 1024, backups: 1 } }));
    const rotated = said(/kept: passed 262144 bytes/, 'the kept file to rotate at its new limit');
    await Promise.all([
      writer(kept, 512 * 1024, 64 * 1024, 1),
      writer(dropped, 2 * MiB, 64 * 1024, 1),
    ]);
    await rotated;
    expect(existsSync(`${dropped}.1`)).toBe(false);
    expect(statSync(dropped).size).toBe(2 * MiB);
  });

  it('says a failure once, loses nothing, and rotates again at a write once it is fixed', async () => {
    const dir = ownTempDir('tm-rotate-');
    const file = join(dir, 'out');
    // the backup's place is taken by a folder: rename cannot go there, and root cannot either
    mkdirSync(`${file}.1/in-the-way`, { recursive: true });
    const { r, logged, said } = rotator({ retryMs: 300 });
    r.update(limits({ [file]: { maxBytes: 256 * 1024, backups: 1 } }));
    const failed = said(/out: cannot rotate: EISDIR/, 'the failure to be said');
    await writer(file, 1 * MiB, 64 * 1024, 1);
    await failed;
    // later writes try again (every 300 ms at most): each fails, none is said
    await writer(file, 64 * 1024, 1024, 20);
    expect(statSync(file).size).toBe(1 * MiB + 64 * 1024);
    rmSync(`${file}.1`, { recursive: true });
    const again = said(/out: rotated again, after \d+ failed tries/, 'the rotation after the fix');
    await writer(file, 32 * 1024, 1024, 1);
    const line = (await again).line;
    // how many tries failed depends on how the kernel batched the writes: at least the first
    expect(Number(/after (\d+)/.exec(line)![1])).toBeGreaterThanOrEqual(1);
    expect(logged.filter((l) => l.level === 'error')).toHaveLength(1);
    // nothing was lost while it failed: every line is in the backup or the file
    const all = [`${file}.1`, file].flatMap((f) => numbers(readFileSync(f, 'utf8')).numbers);
    expect(all.length * LINE_BYTES).toBe(1 * MiB + 64 * 1024 + 32 * 1024);
  });

  it('says a folder it cannot watch, and watches it once it is back and a program starts', async () => {
    const dir = ownTempDir('tm-rotate-');
    const file = join(dir, 'later', 'out');
    const { r, said } = rotator();
    const failed = said(/later\/out: cannot watch its folder: ENOENT/, 'the failure to be said');
    r.update(limits({ [file]: { maxBytes: 64 * 1024, backups: 1 } }));
    await failed;
    mkdirSync(join(dir, 'later'));
    const watched = said(/later\/out: watched again/, 'the folder to be watched');
    r.rearm();
    await watched;
    const rotated = said(/later\/out: passed/, 'a rotation');
    await writer(file, 128 * 1024, 128 * 1024, 1);
    await rotated;
  });
});

describe('followFile across a rotation', () => {
  it('finishes the old content from the backup, then reads the new from the start', async () => {
    const dir = ownTempDir('tm-rotate-');
    const file = join(dir, 'out');
    const { r, logged } = rotator();
    r.update(limits({ [file]: { maxBytes: 1 * MiB, backups: 1 } }));
    const total = 4 * MiB;
    const texts: string[] = [];
    let [received, skipped] = [0, 0];
    let isPaused = false;
    const seen = new Subject<string>();
    const drained = new Subject<void>();
    const sub = followFile(
      file,
      0,
      { hasRoom: () => !isPaused, drained$: drained },
      r.rotations$,
    ).subscribe((e) => {
      if ('skipped' in e) skipped += e.skipped;
      texts.push(e.text);
      received += e.text.length;
      seen.next(e.text);
      // a client that stops reading for a while: the rotation comes while it is behind
      if (received >= 256 * 1024 && logged.length === 0) isPaused = true;
    });
    onTestFinished(() => sub.unsubscribe());
    const rotated = firstValueFrom(r.rotations$);
    const last = `${String(total / LINE_BYTES - 1).padStart(10, '0')} ${'-'.repeat(20)}\n`;
    const end = waitFor(seen, (t) => t.endsWith(last), 'the last line to be followed', 30_000);
    const writing = writer(file, total);
    await rotated;
    // the new content now reaches past where the follower stopped: read at its old offset,
    // it would be lines from after the truncate in the middle of the old ones
    await waitUntil(() => statSync(file).size > received + 64 * 1024, 'the new content to grow');
    expect(logged).toHaveLength(1);
    isPaused = false;
    drained.next();
    await writing;
    await end;
    expect(logged.filter((l) => l.line.includes('moved to')).length).toBeGreaterThanOrEqual(2);
    expect(skipped).toBe(0);
    const followed = numbers(texts.join(''));
    expect(followed.numbers[0]).toBe(0);
    for (const gap of gaps(followed.numbers)) {
      expect(gap).toBeLessThanOrEqual(LOST_LINES_PER_ROTATION);
    }
    // a write cut by a truncate runs into the next line: one such line a rotation at most
    expect(followed.bad.length).toBeLessThanOrEqual(logged.length);
  });
});
