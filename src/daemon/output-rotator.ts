import { statSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { Subject, type Observable } from 'rxjs';
import { instanceSpecs } from '../domain/instance-spec.js';
import type { FileLimit, ProgramSpec } from '../domain/types.js';
import { copyTruncate, type CopyLimits, type Rotation } from './copy-truncate.js';

export type RotatorLog = {
  info: (line: string) => void;
  warn: (line: string) => void;
  error: (line: string) => void;
};

export type RotatorOptions = {
  log: RotatorLog;
  /**
   * The longest wait between a write and a look at the size. Writes meanwhile are not even
   * heard: the watch is closed until then, so a program writing flat out costs a few looks a
   * second, never one per write.
   */
  settleMs?: number;
  /** After a failed rotation, the next try waits for a write at least this much later. */
  retryMs?: number;
  copyLimits?: CopyLimits;
};

const UNTIL_SPAWN = 'it is not rotated until that is fixed and the program is started again';

export const SETTLE_MS = 1000;
/** The wait while the file's pace is unknown (its first write after a quiet while). */
const FIRST_LOOK_MS = 100;
/** The shortest wait, however fast the file grows: a bound on the looks a second. */
const MIN_LOOK_MS = 50;
export const RETRY_MS = 10_000;

/**
 * The output files of the programs and the limit of each. A file several programs (or one
 * program's stdout and stderr) write gets the tightest bound any of them asks for: the smallest
 * maxBytes that is not 0 ("never"), and the fewest backups.
 */
export function outputLimits(programs: readonly ProgramSpec[]): Map<string, FileLimit> {
  const files = new Map<string, FileLimit>();
  const add = (file: string | null, limit: FileLimit) => {
    if (file === null) return;
    const other = files.get(file);
    files.set(file, other === undefined ? limit : tightest(other, limit));
  };
  for (const p of programs.flatMap(instanceSpecs)) {
    add(p.stdout, p.stdoutLimit);
    add(p.stderr, p.stderrLimit);
  }
  return files;
}

function tightest(a: FileLimit, b: FileLimit): FileLimit {
  if (a.maxBytes === 0) return b;
  if (b.maxBytes === 0) return a;
  return { maxBytes: Math.min(a.maxBytes, b.maxBytes), backups: Math.min(a.backups, b.backups) };
}

type Target = {
  readonly file: string;
  limit: FileLimit;
  watcher: FSWatcher | null;
  timer: NodeJS.Timeout | null;
  rotating: Promise<void> | null;
  /** Not watched until `rearm()`: the folder could not be watched, or it is no regular file. */
  isParked: boolean;
  isRemoved: boolean;
  /** Failures since the last success: only the first one is logged. */
  failures: number;
  /** The last failure was to watch or to read the size (not to rotate): said back once fixed. */
  isUnheard: boolean;
  retryAtMs: number;
  lastLook: { size: number; atMs: number } | null;
  /** Bytes a ms between the last two looks, when they were close enough to tell the pace. */
  rate: number | null;
};

/**
 * Rotates the programs' output files by size (copyTruncate), each within a second of its
 * passing maxBytes, without a timer while nothing is written: a write is heard through inotify
 * (fs.watch on the file, or on its folder while it does not exist), the watch is closed, and
 * the size is looked at a little later (`lookDelay`); then the watch is opened again, before
 * the look, so that no write after it goes unheard. Failures go to the log, one line per run of
 * failures, never thrown: the file keeps growing, and a later write tries again.
 */
export class OutputRotator {
  readonly rotations$: Observable<Rotation>;
  private readonly rotations = new Subject<Rotation>();
  private readonly targets = new Map<string, Target>();
  /** Files being rotated: never two copies of one file at once. */
  private readonly busy = new Set<string>();
  private readonly log: RotatorLog;
  private readonly settleMs: number;
  private readonly retryMs: number;
  private readonly copyLimits: CopyLimits | undefined;
  private isClosed = false;

  constructor(options: RotatorOptions) {
    this.log = options.log;
    this.settleMs = options.settleMs ?? SETTLE_MS;
    this.retryMs = options.retryMs ?? RETRY_MS;
    this.copyLimits = options.copyLimits;
    this.rotations$ = this.rotations.asObservable();
  }

  /** The files to keep bounded, and how (a maxBytes of 0 is left alone); the rest are let go. */
  update(files: ReadonlyMap<string, FileLimit>): void {
    if (this.isClosed) return;
    for (const [file, t] of this.targets) {
      if ((files.get(file)?.maxBytes ?? 0) === 0) this.remove(t);
    }
    for (const [file, limit] of files) {
      if (limit.maxBytes === 0) continue;
      const t = this.targets.get(file);
      if (t === undefined) {
        const target: Target = {
          file,
          limit,
          watcher: null,
          timer: null,
          rotating: null,
          isParked: false,
          isRemoved: false,
          failures: 0,
          isUnheard: false,
          retryAtMs: 0,
          lastLook: null,
          rate: null,
        };
        this.targets.set(file, target);
        // it may be over its bound already (left by a previous run, or a limit just lowered)
        this.schedule(target, 0);
      } else if (t.limit.maxBytes !== limit.maxBytes || t.limit.backups !== limit.backups) {
        t.limit = limit;
        this.schedule(t, 0);
      }
    }
  }

  /** Files that could not be watched are tried again (the daemon calls this at each spawn). */
  rearm(): void {
    for (const t of this.targets.values()) {
      if (!t.isParked) continue;
      t.isParked = false;
      this.schedule(t, 0);
    }
  }

  /** Stops watching; a rotation under way gives up at its next chunk, the file untouched. */
  async close(): Promise<void> {
    this.isClosed = true;
    const rotating = [...this.targets.values()].flatMap((t) => t.rotating ?? []);
    for (const t of this.targets.values()) this.remove(t);
    await Promise.all(rotating);
    this.rotations.complete();
  }

  private remove(t: Target): void {
    t.isRemoved = true;
    this.unwatch(t);
    if (t.timer !== null) clearTimeout(t.timer);
    t.timer = null;
    this.targets.delete(t.file);
  }

  /** A write was heard (or a look is due): stop listening, look in `delayMs`. */
  private schedule(t: Target, delayMs: number): void {
    this.unwatch(t);
    if (t.timer !== null || t.rotating !== null || t.isRemoved) return;
    const wait = Math.max(delayMs, t.retryAtMs - Date.now());
    t.timer = setTimeout(() => this.look(t), wait);
    // a file to rotate is no reason to keep the process alive
    t.timer.unref();
  }

  private look(t: Target): void {
    t.timer = null;
    if (t.isRemoved) return;
    let size: number;
    try {
      const stats = statSync(t.file);
      if (!stats.isFile()) {
        // /dev/null, a fifo: nothing to rotate, and nothing to hear until the next spawn
        t.isParked = true;
        return;
      }
      size = stats.size;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        this.unheard(t, `cannot read its size: ${describe(error)}`);
        return;
      }
      // not written yet: its folder says when it comes
      size = 0;
    }
    this.measure(t, size);
    if (!this.watchFor(t)) return;
    if (size > t.limit.maxBytes && Date.now() >= t.retryAtMs) this.rotate(t);
  }

  private rotate(t: Target): void {
    this.unwatch(t);
    if (this.busy.has(t.file)) {
      // the rotation of a target removed and added again by two reloads is still winding down
      this.schedule(t, this.settleMs);
      return;
    }
    const { maxBytes, backups } = t.limit;
    this.busy.add(t.file);
    t.rotating = copyTruncate(t.file, backups, {
      ...(this.copyLimits === undefined ? {} : { limits: this.copyLimits }),
      isCancelled: () => t.isRemoved,
      truncated: (r) => this.rotations.next(r),
    })
      .then(
        (r) => {
          if (r === null) return;
          if (t.failures > 0) {
            this.log.info(`${t.file}: rotated again, after ${t.failures} failed tries`);
          }
          t.failures = 0;
          t.retryAtMs = 0;
          const to = r.backup === null ? 'truncated (backups: 0)' : `moved to ${r.backup}`;
          this.log.info(`${t.file}: passed ${maxBytes} bytes; ${r.bytes} bytes ${to}`);
          if (r.lostBytes > 0) {
            this.log.warn(
              `${t.file}: ${r.lostBytes} bytes lost at the rotation: the program writes faster than the daemon can copy`,
            );
          }
        },
        (error: unknown) => {
          if ((error as NodeJS.ErrnoException).code === 'ENOENT' && !exists(t.file)) return;
          this.failed(
            t,
            `cannot rotate: ${describe(error)}`,
            `it grows past maxbytes (${maxBytes}) until a rotation works: tried again at a write ${this.retryMs / 1000} s from now`,
          );
          t.retryAtMs = Date.now() + this.retryMs;
        },
      )
      .finally(() => {
        this.busy.delete(t.file);
        t.rotating = null;
        if (!t.isRemoved) this.look(t);
      });
  }

  /**
   * Listens for the next write: to the file itself (its inode) when it exists, else to its
   * folder for its creation. False when neither can be watched (the folder is gone).
   */
  private watchFor(t: Target): boolean {
    this.unwatch(t);
    const heard = () => this.schedule(t, this.lookDelay(t));
    let watcher: FSWatcher;
    try {
      watcher = watch(t.file, { persistent: false }, heard);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        this.unheard(t, `cannot watch it: ${describe(error)}`);
        return false;
      }
      const name = basename(t.file);
      try {
        watcher = watch(dirname(t.file), { persistent: false }, (_event, changed) => {
          if (changed === null || changed === name) heard();
        });
      } catch (folderError) {
        this.unheard(t, `cannot watch its folder: ${describe(folderError)}`);
        return false;
      }
    }
    // a watch that fails later (the folder removed) looks again, which says what is wrong
    watcher.on('error', heard);
    t.watcher = watcher;
    if (t.isUnheard) {
      this.log.info(`${t.file}: watched again; rotated from now on`);
      t.isUnheard = false;
      t.failures = 0;
    }
    return true;
  }

  /** The pace from this look and the last, when they are close enough to tell it. */
  private measure(t: Target, size: number): void {
    const now = Date.now();
    const last = t.lastLook;
    if (last === null || now - last.atMs > 2 * this.settleMs) {
      // a burst after a quiet while is measured afresh, not averaged with the quiet
      t.rate = null;
    } else if (size >= last.size && now > last.atMs) {
      t.rate = (size - last.size) / (now - last.atMs);
    }
    // shorter than at the last look: just rotated; the writer's pace is what it was
    t.lastLook = { size, atMs: now };
  }

  /**
   * How long after a write to look: soon while the pace is unknown; else by half the time the
   * file would take to reach maxBytes at that pace, so that a fast writer's file is caught
   * close to its bound, between MIN_LOOK_MS and settleMs.
   */
  private lookDelay(t: Target): number {
    if (t.rate === null || t.lastLook === null) return Math.min(FIRST_LOOK_MS, this.settleMs);
    if (t.rate === 0) return this.settleMs;
    const untilFullMs = Math.max(0, t.limit.maxBytes - t.lastLook.size) / t.rate;
    return Math.min(this.settleMs, Math.max(MIN_LOOK_MS, untilFullMs / 2));
  }

  private unwatch(t: Target): void {
    t.watcher?.close();
    t.watcher = null;
  }

  /** Cannot know of its writes: parked until the next spawn (`rearm`). */
  private unheard(t: Target, what: string): void {
    this.failed(t, what, UNTIL_SPAWN);
    t.isUnheard = true;
    t.isParked = true;
  }

  /** One line for a run of failures, however long: the first, with what happens meanwhile. */
  private failed(t: Target, what: string, meanwhile: string): void {
    if (t.failures === 0) this.log.error(`${t.file}: ${what}; ${meanwhile}`);
    t.failures += 1;
  }
}

function exists(file: string): boolean {
  try {
    statSync(file);
    return true;
  } catch {
    return false;
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
