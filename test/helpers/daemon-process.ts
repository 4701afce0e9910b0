import { spawn, type ChildProcess } from 'node:child_process';
import {
  closeSync,
  existsSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { interval, map, ReplaySubject, type Observable } from 'rxjs';
import { onTestFinished } from 'vitest';
import type { StoredEvent } from '../../src/domain/types.js';
import { openEventDb, type EventDb } from '../../src/eventlog/db.js';
import { queryEvents, type EventQuery } from '../../src/eventlog/query.js';
import { processStartTime } from '../../src/process/identify.js';
import { isAlive, tempDir } from './test-daemon.js';
import { waitFor } from './wait.js';

/**
 * The built daemon as a real process (the e2e layer): a `Sandbox` is one temp dir with its
 * config.yaml, the taskmasterd processes run in it, and what they left behind (event log, pid
 * file, processes). Every process started from a sandbox carries `TM_E2E_SANDBOX=<dir>` in its
 * environment (the daemon passes its env on to its children, and they to theirs), so the
 * sandbox can find, check and kill all of them, grandchildren and detached daemons included.
 */

/**
 * The built daemon; TM_TEST_TASKMASTERD names another build, to check that a fault test fails
 * on the code before its fix (run the new test against an old checkout's dist/).
 */
export const TASKMASTERD =
  process.env.TM_TEST_TASKMASTERD ??
  fileURLToPath(new URL('../../dist/src/bin/taskmasterd.js', import.meta.url));

const MARKER = 'TM_E2E_SANDBOX';
const POLL_MS = 25;

/**
 * The server section of every sandbox config: port 0 lets the system pick a free port, so
 * daemons of tests running in parallel never compete for the default one.
 */
export const SERVER_SECTION = 'server:\n  port: 0\n';

/** A config file with these programs (each a YAML block from `program` or written by hand). */
export function programs(...blocks: string[]): string {
  return `programs:\n${blocks.join('')}${SERVER_SECTION}`;
}

/**
 * One program block: `sleep 1000` (runs until stopped) with short clocks; each
 * of `extra` (`numprocs: 2`, `cmd: …`) replaces the setting of the same key or is added.
 */
export function program(name: string, ...extra: string[]): string {
  const settings = ['cmd: sleep 1000', 'starttime: 0.1', 'stoptime: 1'];
  for (const e of extra) {
    const key = e.slice(0, e.indexOf(':'));
    const i = settings.findIndex((s) => s.startsWith(`${key}:`));
    if (i >= 0) settings[i] = e;
    else settings.push(e);
  }
  return `  ${name}:\n${settings.map((s) => `    ${s}\n`).join('')}`;
}

export type Exit = { code: number | null; signal: NodeJS.Signals | null };

/** A stderr line that matched: the regex match and the line's number (for `lines[n + 1]`). */
export type LineMatch = { match: RegExpExecArray; lineIndex: number };

export type SpawnOptions = {
  /** Variables added to the daemon's environment; undefined removes one (TM_CONFIG). */
  env?: Record<string, string | undefined>;
  /**
   * A file (in the sandbox) for the daemon's stderr instead of a pipe. For `--daemon`: the
   * detached daemon inherits it, and a pipe it holds would stay open after the command exits.
   */
  stderrFile?: string;
  /** A command the daemon runs under (`unshare --pid --fork …`): its argv before node's. */
  wrapper?: readonly string[];
};

export class Sandbox {
  readonly dir: string;
  readonly configFile: string;
  private readonly daemons: DaemonProcess[] = [];
  private db: EventDb | null = null;

  private constructor(dir: string) {
    this.dir = dir;
    this.configFile = join(dir, 'config.yaml');
  }

  /**
   * A new temp dir with `yaml` as its config.yaml. Cleaned up when the test finishes, passed or
   * failed: every process of the sandbox is SIGKILLed; the dir is kept only when a test failed
   * (an `it.fails` test failing as expected does not count), to look into.
   */
  static create(yaml: string): Sandbox {
    const sandbox = new Sandbox(tempDir('tm-e2e-'));
    sandbox.writeConfig(yaml);
    onTestFinished(({ task }) =>
      sandbox.cleanup(task.result?.state === 'pass' || task.fails === true),
    );
    return sandbox;
  }

  writeConfig(yaml: string): void {
    writeFileSync(this.configFile, yaml);
  }

  path(name: string): string {
    return join(this.dir, name);
  }

  /** Runs the built taskmasterd in the sandbox dir (default args: `-c config.yaml`). */
  spawn(
    args: readonly string[] = ['-c', 'config.yaml'],
    options: SpawnOptions = {},
  ): DaemonProcess {
    if (!existsSync(TASKMASTERD)) {
      throw new Error(`${TASKMASTERD} is missing: run npm run build first (npm test does)`);
    }
    const env: Record<string, string> = {};
    const wanted = { ...process.env, ...options.env, [MARKER]: this.dir };
    for (const [k, v] of Object.entries(wanted)) if (v !== undefined) env[k] = v;
    let errFd: number | null = null;
    if (options.stderrFile !== undefined) errFd = openSync(this.path(options.stderrFile), 'a');
    const [file, ...rest] = [...(options.wrapper ?? []), process.execPath, TASKMASTERD, ...args];
    const child = spawn(file!, rest, {
      cwd: this.dir,
      env,
      stdio: ['ignore', 'pipe', errFd ?? 'pipe'],
    });
    if (errFd !== null) closeSync(errFd);
    const daemon = new DaemonProcess(child);
    this.daemons.push(daemon);
    return daemon;
  }

  /** A foreground daemon on config.yaml, once it says it is starting (pid file taken, log open). */
  async start(): Promise<DaemonProcess> {
    const daemon = this.spawn();
    await daemon.waitLine(/INFO taskmasterd \d+ starting with /);
    return daemon;
  }

  // ---- the event log, read while the daemon writes (WAL) ----

  /** Events oldest first, as `tm log` would show them; none while there is no event log yet. */
  events(query: EventQuery = {}): StoredEvent[] {
    const db = this.eventDb();
    return db === null ? [] : queryEvents(db, query);
  }

  /** `from -> to (cause)` of one instance, oldest first, after the row `afterSeq`. */
  history(name: string, afterSeq = 0): string[] {
    return this.events({ names: [name], afterSeq }).map((e) => `${e.from} -> ${e.to} (${e.cause})`);
  }

  /** The seq of the newest row: wait or look for rows after it. */
  lastSeq(): number {
    return this.events({ limit: 1 })[0]?.seq ?? 0;
  }

  revisions(): { revision: number; summary: string }[] {
    const db = this.eventDb();
    if (db === null) return [];
    return db.prepare('SELECT revision, summary FROM revisions ORDER BY revision').all() as {
      revision: number;
      summary: string;
    }[];
  }

  /** The process register: every process a daemon started, with exitedMs null until seen gone. */
  registeredProcesses(): { pid: number; name: string; exitedMs: number | null }[] {
    const db = this.eventDb();
    if (db === null) return [];
    return db
      .prepare('SELECT pid, name, exited_ms AS exitedMs FROM processes ORDER BY rowid')
      .all() as { pid: number; name: string; exitedMs: number | null }[];
  }

  /** Every pid the event log mentions, in rows or in the process register. */
  loggedPids(): number[] {
    const pids = [
      ...this.events().flatMap((e) => (e.pid === null ? [] : [e.pid])),
      ...this.registeredProcesses().map((p) => p.pid),
    ];
    return [...new Set(pids)];
  }

  /** The first row after `afterSeq` that matches, looked for every 25 ms until the deadline. */
  waitEvent(
    pred: (e: StoredEvent) => boolean,
    what: string,
    afterSeq = 0,
    ms?: number,
  ): Promise<StoredEvent> {
    const found$ = interval(POLL_MS).pipe(map(() => this.events({ afterSeq }).find(pred)));
    return waitFor(found$, (e) => e !== undefined, what, ms) as Promise<StoredEvent>;
  }

  waitState(name: string, to: string, afterSeq = 0, ms?: number): Promise<StoredEvent> {
    return this.waitEvent(
      (e) => e.name === name && e.to === to,
      `${name} to reach ${to} (after seq ${afterSeq})`,
      afterSeq,
      ms,
    );
  }

  // ---- processes ----

  /** Live (not zombie) processes started from this sandbox, with their environment. */
  processes(): SandboxProcess[] {
    const out: SandboxProcess[] = [];
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const pid = Number(entry);
      let environ: string;
      try {
        environ = readFileSync(`/proc/${entry}/environ`, 'utf8');
      } catch {
        // it exited while we looked, or is not ours to read: either way not one of ours
        continue;
      }
      const env = new Map<string, string>();
      for (const kv of environ.split('\0')) {
        const eq = kv.indexOf('=');
        if (eq > 0) env.set(kv.slice(0, eq), kv.slice(eq + 1));
      }
      if (env.get(MARKER) === this.dir && processStartTime(pid) !== null) out.push({ pid, env });
    }
    return out;
  }

  /**
   * The processes of one instance: those the daemon started with TASKMASTER_PROCESS_NAME set to
   * it, each the leader of its own process group (what they start in turn is left out).
   */
  processesOf(instance: string): number[] {
    return this.processes()
      .filter((p) => p.env.get('TASKMASTER_PROCESS_NAME') === instance)
      .filter((p) => procStatField(p.pid, 5) === String(p.pid))
      .map((p) => p.pid);
  }

  /** Resolves once `pid` is gone (zombies count as gone), or fails at the deadline. */
  waitGone(pid: number, what = `pid ${pid} to be gone`, ms?: number): Promise<void> {
    return waitUntil(() => !isAlive(pid), what, ms);
  }

  /** Resolves with the path once `name` exists in the sandbox, or fails at the deadline. */
  async waitFile(name: string, ms?: number): Promise<string> {
    const file = this.path(name);
    await waitUntil(() => existsSync(file), `${file} to exist`, ms);
    return file;
  }

  /**
   * Sends `signal` to a daemon and waits for its exit; returns the exit and what is left alive:
   * pids of the event log (zombies count as gone) and processes carrying the sandbox's mark.
   */
  async stop(d: DaemonProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<StopResult> {
    d.signal(signal);
    const exit = await d.waitExit();
    const left = [...this.loggedPids().filter(isAlive), ...this.processes().map((p) => p.pid)];
    return { exit, leftovers: [...new Set(left)] };
  }

  /** SIGKILL to every daemon and every process of the sandbox, until none is left. */
  private async cleanup(removeDir: boolean): Promise<void> {
    for (const d of this.daemons) if (d.isRunning) d.child.kill('SIGKILL');
    const deadline = Date.now() + 5000;
    // a shell killed between two of its children may just have forked the next: look again
    for (;;) {
      const left = this.processes();
      if (left.length === 0) break;
      if (Date.now() > deadline) {
        throw new Error(`cleanup: processes still alive: ${left.map((p) => p.pid).join(', ')}`);
      }
      for (const { pid } of left) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone in the meantime
        }
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    await Promise.all(this.daemons.map((d) => d.closed));
    this.db?.close();
    this.db = null;
    if (removeDir) rmSync(this.dir, { recursive: true, force: true });
  }

  private eventDb(): EventDb | null {
    if (this.db !== null) return this.db;
    // opening creates the file: wait for a daemon to have made it
    const file = this.path('taskmaster.db');
    if (!existsSync(file)) return null;
    this.db = openEventDb(file);
    return this.db;
  }
}

export type SandboxProcess = { pid: number; env: Map<string, string> };
export type StopResult = { exit: Exit; leftovers: number[] };
/** What a clean stop gives: exit 0 and nothing left. */
export const CLEAN_STOP: StopResult = { exit: { code: 0, signal: null }, leftovers: [] };

/** One taskmasterd process: its stderr as lines (the foreground echoes its log there), its exit. */
export class DaemonProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Every stderr line so far. */
  readonly lines: string[] = [];
  /** Resolves when the process has exited (its output may still be arriving). */
  readonly exited: Promise<Exit>;
  /** Resolves when it has exited and its output pipes are closed. */
  readonly closed: Promise<Exit>;
  private stdoutText = '';
  private readonly lines$ = new ReplaySubject<{ index: number; line: string }>();
  private exit: Exit | null = null;

  constructor(child: ChildProcess) {
    this.child = child;
    this.pid = child.pid!;
    child.stdout!.setEncoding('utf8').on('data', (s: string) => (this.stdoutText += s));
    if (child.stderr !== null) {
      let partial = '';
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (s: string) => {
        const parts = (partial + s).split('\n');
        partial = parts.pop()!;
        for (const line of parts) this.push(line);
      });
      child.stderr.on('end', () => {
        if (partial !== '') this.push(partial);
      });
    }
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal }));
    });
    this.closed = new Promise((resolve) => {
      child.once('close', (code, signal) => {
        this.exit = { code, signal };
        this.lines$.complete();
        resolve(this.exit);
      });
    });
  }

  get isRunning(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  get stdout(): string {
    return this.stdoutText;
  }

  get stderr(): string {
    return this.lines.map((l) => `${l}\n`).join('');
  }

  /** The number of stderr lines so far: wait for lines after it. */
  mark(): number {
    return this.lines.length;
  }

  /** The first stderr line after line number `after` that matches, or an error at the deadline. */
  async waitLine(re: RegExp, after = 0, ms?: number): Promise<LineMatch> {
    const lines: Observable<{ index: number; line: string }> = this.lines$;
    const what = `a line matching ${String(re)} from taskmasterd ${this.pid}`;
    try {
      const hit = await waitFor(lines, (l) => l.index >= after && re.test(l.line), what, ms);
      return { match: re.exec(hit.line)!, lineIndex: hit.index };
    } catch (error) {
      // the stream ends when the daemon does: say so, with what it said
      const ended = this.exit === null ? '' : ` (it exited with ${describeExit(this.exit)})`;
      throw new Error(`${(error as Error).message}${ended}; its stderr:\n${this.stderr}`, {
        cause: error,
      });
    }
  }

  /** The pid of `instance` once the daemon logs it running (after line number `after`). */
  async waitRunning(instance: string, after = 0, ms?: number): Promise<number> {
    const re = new RegExp(`INFO ${instance.replace(/[.]/g, '\\.')}: running pid (\\d+)$`);
    const { match } = await this.waitLine(re, after, ms);
    return Number(match[1]);
  }

  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** Its exit, once it has exited and closed its output, or an error at the deadline. */
  waitExit(ms = 8000): Promise<Exit> {
    return withDeadline(
      this.closed,
      ms,
      () => `taskmasterd ${this.pid} to exit and close its output; its stderr:\n${this.stderr}`,
    );
  }

  private push(line: string): void {
    this.lines$.next({ index: this.lines.length, line });
    this.lines.push(line);
  }
}

/** Resolves once `check()` holds (looked at every 25 ms), or fails at the deadline. */
export async function waitUntil(check: () => boolean, what: string, ms?: number): Promise<void> {
  await waitFor(interval(POLL_MS).pipe(map(() => check())), (ok) => ok, what, ms);
}

/** `promise`, or an error naming `what` once `ms` have passed. */
export async function withDeadline<T>(
  promise: Promise<T>,
  ms: number,
  what: () => string,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`timed out after ${ms} ms waiting for ${what()}`)),
      ms,
    );
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

function describeExit(exit: Exit): string {
  return exit.signal === null ? `code ${exit.code}` : `signal ${exit.signal}`;
}

/** Field `n` (1-based, as in proc(5)) of /proc/PID/stat; null if the process is gone. */
export function procStatField(pid: number, n: number): string | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    // gone
    return null;
  }
  // fields after the parenthesised command name start at field 3
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[n - 3] ?? null;
}
