import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ReplaySubject, type Observable } from 'rxjs';
import { Daemon, type DaemonOptions } from '../../src/daemon/daemon.js';
import { processStartTime } from '../../src/process/identify.js';
import type { StoredEvent } from '../../src/domain/types.js';
import { waitFor } from './wait.js';

export const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));

export function fixture(name: string): string {
  return join(FIXTURES, name);
}

export function tempDir(prefix = 'tm-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A daemon in this process, on a config in its own temp dir, with every event it publishes. */
export class TestDaemon {
  readonly daemon: Daemon;
  readonly dir: string;
  readonly configFile: string;
  /** Every event since boot, then the live ones. */
  readonly events$: Observable<StoredEvent>;
  private readonly replay = new ReplaySubject<StoredEvent>();
  private lastSeq = 0;

  private constructor(dir: string, configFile: string, options: Omit<DaemonOptions, 'configFile'>) {
    this.dir = dir;
    this.configFile = configFile;
    this.daemon = Daemon.open({ echo: null, ...options, configFile });
    this.events$ = this.replay.asObservable();
    this.daemon.events$.subscribe((e) => {
      this.lastSeq = e.seq;
      this.replay.next(e);
    });
  }

  /**
   * Writes `yaml` as config.yaml in a new temp dir (or `dir`), opens a daemon on it and boots it;
   * `options` as Daemon.open takes them (an echo stream for its log lines, shorter timings).
   */
  static start(
    yaml: string,
    dir = tempDir(),
    options: Omit<DaemonOptions, 'configFile'> = {},
  ): TestDaemon {
    const configFile = join(dir, 'config.yaml');
    writeFileSync(configFile, yaml);
    const td = new TestDaemon(dir, configFile, options);
    td.daemon.boot();
    return td;
  }

  writeConfig(yaml: string): void {
    writeFileSync(this.configFile, yaml);
  }

  /** The sequence number of the newest event so far: wait for events after it. */
  mark(): number {
    return this.lastSeq;
  }

  /** The first event after `after` (a mark) that matches. */
  waitEvent(
    pred: (e: StoredEvent) => boolean,
    what: string,
    after = 0,
    ms?: number,
  ): Promise<StoredEvent> {
    return waitFor(this.events$, (e) => e.seq > after && pred(e), what, ms);
  }

  waitState(name: string, to: string, after = 0, ms?: number): Promise<StoredEvent> {
    return this.waitEvent(
      (e) => e.name === name && e.to === to,
      `${name} to reach ${to}`,
      after,
      ms,
    );
  }

  /** `from -> to (cause)` of one instance, from the SQLite event log. */
  history(name: string): string[] {
    return this.daemon.events({ names: [name] }).map((e) => `${e.from} -> ${e.to} (${e.cause})`);
  }

  /** Every pid the event log mentions. */
  pids(): number[] {
    return [...new Set(this.daemon.events({}).flatMap((e) => (e.pid === null ? [] : [e.pid])))];
  }

  async stop(): Promise<void> {
    const pids = this.pids();
    await this.daemon.shutdown();
    const alive = pids.filter(isAlive);
    if (alive.length > 0)
      throw new Error(`processes left running after shutdown: ${alive.join(', ')}`);
  }
}

/** Alive and not a zombie: an orphan's zombie lingers until init reaps it. */
export function isAlive(pid: number): boolean {
  return processStartTime(pid) !== null;
}
