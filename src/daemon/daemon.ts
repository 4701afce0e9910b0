import { hostname } from 'node:os';
import { Subject, type Observable } from 'rxjs';
import { createActor, waitFor, type Actor } from 'xstate';
import {
  instanceState,
  supervisorMachine,
  type BootDecision,
  type CommandAction,
  type InstanceRef,
} from '../../machines/supervisor.machine.js';
import { diff, type ReloadPlan } from '../config/diff.js';
import { includeWarnings, loadConfig } from '../config/load.js';
import type { Config, EmailSection } from '../config/types.js';
import {
  Alerts,
  type AlertInstance,
  type AlertTimings,
  type TestMailResult,
} from '../alerts/alerts.js';
import { ConfigError, TaskmasterError } from '../domain/errors.js';
import { instanceName, parseInstanceName, resolveTargets } from '../domain/names.js';
import { instanceSpec } from '../domain/instance-spec.js';
import type { Cause, LogRow, ProgramSpec, StoredEvent } from '../domain/types.js';
import {
  appendRevision,
  createAppend,
  createAppendNote,
  type AppendNote,
  type Note,
} from '../eventlog/append.js';
import { alertLog, type AlertLog } from '../eventlog/alert-log.js';
import { openEventDb, relieveEventDb, type EventDb } from '../eventlog/db.js';
import { processRegister, type LiveProcess, type ProcessRegister } from '../eventlog/processes.js';
import {
  knownNames,
  lastDaemonRow,
  queryEvents,
  queryLog,
  type EventQuery,
} from '../eventlog/query.js';
import { VERSION } from '../domain/version.js';
import { recover, type Recovered } from '../eventlog/replay.js';
import { pruner } from '../eventlog/retention.js';
import { bootId, isSameProcess, startTimeToEpochMs } from '../process/identify.js';
import { findOwnProcesses, OWNER_ENV } from '../process/find-own-processes.js';
import { killGroup } from '../process/kill-group.js';
import { watchProcess } from '../process/watch-process.js';
import { bootDecision } from './boot.js';
import { describeEvent, describePlan } from './describe.js';
import { instanceMachineWithEffects } from './effects.js';
import { claimPidfile, releasePidfile } from './pidfile.js';
import type { InstanceStatus } from '../rpc/protocol.js';
import { rpcHandlers } from './handlers.js';
import { startXmlRpc } from './xmlrpc-port.js';
import type { XmlRpcServer } from '../xmlrpc/server.js';
import { RpcServer, type RpcLimits } from '../rpc/server.js';
import { ThrottledLog } from '../rpc/throttled-log.js';
import { ensureToken } from '../rpc/auth.js';
import type { AddressInfo } from 'node:net';
import { openTextLog, type TextLog } from './text-log.js';
import type { Rotation } from './copy-truncate.js';
import { OutputRotator, outputLimits } from './output-rotator.js';
import { RetentionKeeper } from './retention.js';
import { subscribeSafely } from './subscribe-safely.js';
import { WorkQueue } from './work-queue.js';
import { writeGuard, type WriteGuard } from './write-guard.js';
import { CommitBatch } from './commit-batch.js';

export type DaemonOptions = {
  configFile: string;
  /** Where log lines are echoed as well (the terminal, in the foreground); null for none. */
  echo?: NodeJS.WritableStream | null;
  /** Shorter retry and flush times for the mail queue (tests). */
  alertTimings?: Partial<AlertTimings>;
};

export type ReloadResult = { plan: ReloadPlan; summary: string; revision: number };

/** How long a stray process (no longer in the config) gets after SIGTERM before SIGKILL. */
const STRAY_STOP_MS = 10_000;
/** What a shutdown may take beyond its instances' stoptimes before it kills what is left. */
const SHUTDOWN_MARGIN_MS = 5_000;
/** A bug of the alerts repeated at every event is said once, then counted this often. */
const ALERT_BUG_LOG_MS = 10_000;

/**
 * The composition root: config, event log, supervisor actor and its instance actors. The only
 * place that wires the layers together (as supervisord.py is for Supervisor).
 */
export class Daemon {
  readonly events$: Observable<StoredEvent>;
  /** Every row as it is stored: the transitions of events$, and actions and daemon rows. */
  readonly journal$: Observable<LogRow>;
  private readonly journal = new Subject<LogRow>();
  private readonly appendNote: AppendNote;
  readonly log: TextLog;
  private config: Config;
  private readonly db: EventDb;
  private readonly register: ProcessRegister;
  /** Every write to the event log: a full disk is said once, counted, never thrown. */
  private readonly guard: WriteGuard;
  /** A burst's writes in one commit, every act and publication after it (commit-batch.ts). */
  private readonly batch: CommitBatch;
  private readonly retention: RetentionKeeper;
  private readonly supervisor: Actor<typeof supervisorMachine>;
  private readonly lastEventAt = new Map<string, number>();
  /** What the event log says of each instance at the end of the previous run (read once). */
  private readonly recovered: ReadonlyMap<string, Recovered>;
  /** Processes of a previous run being stopped, by pid: how to kill each at once. */
  private readonly strays = new Map<number, () => void>();
  private revision: number;
  private stopping: Promise<void> | null = null;
  private markStopped: () => void = () => {};
  /** Resolves once a shutdown, however asked for, has stopped everything. */
  readonly stopped: Promise<void> = new Promise((resolve) => (this.markStopped = resolve));
  private server: RpcServer | null = null;
  /** Supervisor's XML-RPC API, beside the RPC on the same handlers; null when off. */
  private xmlrpc: XmlRpcServer | null = null;
  /** Keeps the programs' output files at their maxbytes (copy, then truncate). */
  private readonly rotator: OutputRotator;
  /** Each rotation, told in the same step as its truncate (for tail -f). */
  readonly rotations$: Observable<Rotation>;
  private readonly alertStore: AlertLog;
  private readonly alertTimings: Partial<AlertTimings>;
  /** Email alerts, while the config has an email section. */
  private alerts: Alerts | null = null;
  /** Alerts a reload turned off, sending what they owe before they let go of the cursor. */
  private alertsRetiring: Promise<void> = Promise.resolve();
  /** A bug of the alerts that comes at every event: said in full once, then counted. */
  private readonly alertBugs = new ThrottledLog(
    (line) => this.log.error(line),
    ALERT_BUG_LOG_MS,
    (n) => `mail: internal error ${n} more times`,
  );

  private constructor(config: Config, options: DaemonOptions) {
    this.config = config;
    this.log = openTextLog(config.daemon.logfile, config.daemon.logLimit, options.echo ?? null);
    this.db = openEventDb(config.daemon.eventlog);
    this.register = processRegister(this.db);
    this.guard = writeGuard(`event log ${config.daemon.eventlog}`, this.log, {
      relieve: () => relieveEventDb(this.db),
    });
    this.batch = new CommitBatch(this.db, this.guard, (error) =>
      this.log.error(`internal error after a commit: ${(error as Error).stack ?? String(error)}`),
    );
    this.revision =
      this.guard.run(() =>
        appendRevision(
          this.db,
          config.file,
          `start: ${config.programs.map((p) => p.name).join(', ')}`,
        ),
      ) ?? 0;
    this.log.info(
      `taskmasterd ${process.pid} starting with ${config.file} (revision ${this.revision})`,
    );
    for (const warning of includeWarnings(config)) this.log.warn(warning);
    if (config.programs.length === 0) {
      this.log.info(
        'no programs in the config: waiting for a reload (SIGHUP, tm reload) to bring some',
      );
    }
    this.journal$ = this.journal.asObservable();
    this.appendNote = createAppendNote(this.db, () => this.revision);
    // the daemon's own life is in the log: a previous run that left no `stopped` row ended
    // without a shutdown, and its last row says when it was last heard of
    const previous = this.guard.run(() => lastDaemonRow(this.db)) ?? null;
    if (previous !== null && previous.action === 'started') {
      const message = `the previous taskmasterd (${previous.message ?? 'unknown'}) ended without a shutdown (a crash, or SIGKILL); last heard of at ${new Date(previous.lastAtMs).toISOString()}`;
      this.log.warn(message);
      this.note({ kind: 'daemon', name: null, action: 'crashed', client: null, message });
    }
    this.note({
      kind: 'daemon',
      name: null,
      action: 'started',
      client: null,
      message: `version ${VERSION}, pid ${process.pid}, ${config.file}, config revision ${this.revision}`,
    });
    this.recovered = recover(this.db);
    // `since` of each instance continues from the event log across a restart of the daemon
    for (const r of this.recovered.values()) this.lastEventAt.set(r.name, r.atMs);
    const events = new Subject<StoredEvent>();
    this.events$ = events.asObservable();
    this.rotator = new OutputRotator({ log: this.log });
    this.rotations$ = this.rotator.rotations$;
    this.retention = new RetentionKeeper(
      pruner(this.db),
      () => this.config.daemon.eventRetention,
      this.guard,
    );
    // each reader of the stream on its own: an exception in one is logged, the rest go on
    subscribeSafely(this.events$, 'event stream', this.log, (e) => {
      this.journal.next({ kind: 'transition', ...e });
      if (e.seq > 0) this.retention.stored(e.name);
      this.lastEventAt.set(e.name, e.atMs);
      // a folder that could not be watched may be back: its file is about to be opened
      if (e.to === 'starting') this.rotator.rearm();
    });
    subscribeSafely(this.events$, 'text log', this.log, (e) => {
      const line = describeEvent(e);
      if (e.to === 'fatal' || (e.to === 'exited' && e.cause === 'exit')) this.log.warn(line);
      else this.log.info(line);
    });
    this.alertStore = alertLog(this.db);
    this.alertTimings = options.alertTimings ?? {};
    if (config.email === null) {
      // alerts are off: nothing is owed, and turning them on later does not mail the past
      this.guard.run(() => this.alertStore.clearCursor());
    } else {
      this.alerts = this.openAlerts(config.email);
    }
    subscribeSafely(this.events$, 'mail alerts', this.log, (e) => this.alerts?.next(e));
    const queue = new WorkQueue((error) =>
      this.log.error(
        `internal error in supervision work: ${(error as Error).stack ?? String(error)}`,
      ),
    );
    const instance = instanceMachineWithEffects({
      append: createAppend(this.db, () => this.revision),
      register: this.register,
      batch: this.batch,
      queue,
      publish: (e) => events.next(e),
      log: this.log,
      childEnv: { [OWNER_ENV]: config.daemon.eventlog },
    });
    this.supervisor = createActor(supervisorMachine.provide({ actors: { instance } }));
  }

  /** Reads the config (a ConfigError is thrown as is) and opens the logs, but starts nothing yet: subscribe, then `boot()`. */
  static open(options: DaemonOptions): Daemon {
    const config = loadConfig(options.configFile);
    claimPidfile(config.daemon.pidfile);
    return new Daemon(config, options);
  }

  /** Adopts what a previous run left alive, then starts what the config and the log ask for. */
  boot(): void {
    const { recovered } = this;
    const wanted = new Set(
      this.config.programs.flatMap((p) =>
        Array.from({ length: p.numprocs }, (_, i) => instanceName(p.name, i)),
      ),
    );
    const adopt = new Map<string, LiveProcess>();
    const thisBoot = bootId();
    const registered = this.guard.run(() => this.register.unexited()) ?? [];
    // a daemon killed between a fork and its row left a process the register does not know:
    // found by the mark in its environment, it is put on record and dealt with like the rest
    const known = new Set(registered.map((p) => `${p.pid}/${p.procStart}`));
    for (const p of findOwnProcesses(this.config.daemon.eventlog)) {
      if (known.has(`${p.pid}/${p.procStart}`)) continue;
      this.log.warn(`${p.name}: pid ${p.pid} runs with no record of its start; taking it back`);
      this.guard.run(() => this.register.spawned({ ...p, bootId: thisBoot }));
      registered.unshift({ ...p, bootId: thisBoot });
    }
    for (const p of registered) {
      // from another boot (or one not recorded): whatever has that pid now is not ours
      if (thisBoot === null || p.bootId !== thisBoot || !isSameProcess(p.pid, p.procStart)) {
        // it ended while no daemon was watching; its exit status is lost with its parent
        this.guard.run(() => this.register.exited(p.pid, p.procStart));
      } else if (wanted.has(p.name) && !adopt.has(p.name)) {
        adopt.set(p.name, p);
      } else {
        this.stopStray(p);
      }
    }
    const boot = new Map<string, BootDecision>();
    for (const spec of this.config.programs) {
      for (let i = 0; i < spec.numprocs; i++) {
        const name = instanceName(spec.name, i);
        const rec = recovered.get(name);
        boot.set(
          name,
          adopt.has(name)
            ? { startCause: null, retries: rec?.retries ?? 0 }
            : bootDecision(spec, rec),
        );
      }
    }
    // watching first: adopted processes, and those about to start, write from now on
    this.rotator.update(outputLimits(this.config.programs));
    this.supervisor.start();
    this.retention.start();
    // one commit for every instance's first row (hundreds at once), before any of them acts
    this.batch.run(() => {
      this.supervisor.send({
        type: 'plan.apply',
        plan: diff([], this.config.programs),
        cause: 'autostart',
        boot,
      });
      for (const [name, p] of adopt) {
        const ref = this.instanceRef(name);
        // its uptime counts from its own start, not from the adoption
        const startedAtMs = startTimeToEpochMs(p.procStart) ?? Date.now();
        ref.send({ type: 'adopt', pid: p.pid, procStart: p.procStart, startedAtMs });
        const rec = recovered.get(name);
        if (rec?.state === 'stopping') {
          // it was being stopped when the daemon died: finish the job, then begin again as if
          // it had died with the daemon (a reload's restart starts again, a user's stop does not)
          const spec = this.specOf(name);
          const again = bootDecision(spec, rec).startCause !== null;
          ref.send({ type: again ? 'restart' : 'stop', cause: 'replay' });
        }
      }
    });
  }

  /** A process of a previous run that has no place in this config: stopped, never kept. */
  private stopStray(p: LiveProcess): void {
    this.log.warn(
      `${p.name}: pid ${p.pid} from a previous run is not in the config any more, stopping it`,
    );
    const signal = (sig: NodeJS.Signals) => {
      try {
        if (isSameProcess(p.pid, p.procStart)) killGroup(p.pid, sig);
      } catch (error) {
        this.log.error(`${p.name}: cannot send ${sig} to pid ${p.pid}: ${String(error)}`);
      }
    };
    signal('SIGTERM');
    const kill = setTimeout(() => signal('SIGKILL'), STRAY_STOP_MS);
    // a shutdown before it is gone does not wait the 10 s: SIGKILL then
    this.strays.set(p.pid, () => signal('SIGKILL'));
    watchProcess(p.pid, p.procStart, {
      exited: () => {
        clearTimeout(kill);
        this.strays.delete(p.pid);
        this.guard.run(() => this.register.exited(p.pid, p.procStart));
      },
      drainMs: () => 0,
    });
  }

  get currentConfig(): Config {
    return this.config;
  }

  private instanceRef(name: string): InstanceRef {
    const ref = this.supervisor.getSnapshot().context.instances.get(name);
    if (ref === undefined)
      throw new TaskmasterError('NO_SUCH_PROGRAM', `no such instance: ${name}`);
    return ref;
  }

  /** The spec in force for an instance name, with its own expanded values. */
  specOf(name: string): ProgramSpec {
    const { program, index } = parseInstanceName(name);
    const spec = this.config.programs.find((p) => p.name === program);
    if (spec === undefined)
      throw new TaskmasterError('NO_SUCH_PROGRAM', `no such program: ${program}`);
    return instanceSpec(spec, index);
  }

  /**
   * Every instance that has an actor, those of the config first in its order. An instance of the
   * config may have none yet (before boot, during a reload), and one a reload removed may still
   * be stopping.
   */
  private allInstances(): string[] {
    const { instances } = this.supervisor.getSnapshot().context;
    const inConfig = this.resolve(['all']).filter((name) => instances.has(name));
    return [...new Set([...inConfig, ...instances.keys()])];
  }

  /** Instance names matching what a user typed (`web:1`, `web`, `web:*`, `all`). */
  resolve(targets: readonly string[]): string[] {
    const programs = new Map(this.config.programs.map((p) => [p.name, p.numprocs]));
    return resolveTargets(targets, programs);
  }

  status(names?: readonly string[]): InstanceStatus[] {
    // by program in config order, then index: not in the order the actors were made, which
    // puts an instance added by a reload after the other programs
    const selected = names ?? this.allInstances();
    return selected.map((name) => {
      const ref = this.instanceRef(name);
      const { context } = ref.getSnapshot();
      const { program, index } = parseInstanceName(name);
      return {
        name,
        program,
        index,
        state: instanceState(ref),
        pid: context.pid,
        since: this.lastEventAt.get(name) ?? null,
        exitcode: context.lastExit?.code ?? null,
        signal: context.lastExit?.signal ?? null,
        retries: context.retries,
        spawnerror: context.spawnError?.message ?? null,
      };
    });
  }

  /** Whether a user's start or stop would do anything to the instance (its machine decides). */
  accepts(name: string, action: 'start' | 'stop'): boolean {
    return this.instanceRef(name).getSnapshot().can({ type: action, cause: 'user' });
  }

  /** Sends start/stop/restart to what `targets` names; returns the instance names it reached. */
  command(action: CommandAction, targets: readonly string[], cause: Cause = 'user'): string[] {
    this.refuseWhenStopping();
    const names = this.resolve(targets);
    // `start all`: every `starting` row in one commit, before the first fork
    this.batch.run(() => this.supervisor.send({ type: 'command', action, names, cause }));
    return names;
  }

  events(query: EventQuery): StoredEvent[] {
    return queryEvents(this.db, query);
  }

  /** Every kind of row, for `tm log`. */
  logRows(query: EventQuery): LogRow[] {
    return queryLog(this.db, query);
  }

  /**
   * Appends a row that is not a transition (guarded: a full disk loses it, says so, and goes
   * on) and publishes it on journal$.
   */
  note(note: Note): void {
    const row = this.batch.write(() => this.appendNote(note));
    if (row !== undefined && row.name !== null) this.retention.stored(row.name);
    this.batch.afterCommit(() =>
      this.journal.next(
        row === undefined || this.batch.isLost
          ? { ...note, atMs: row?.atMs ?? Date.now(), seq: 0, revision: this.revision }
          : row,
      ),
    );
  }

  /**
   * Instance names for `tm log`: those of the config in force, and those the log has rows of,
   * so the history of a program removed from the config can still be read.
   */
  resolveForLog(targets: readonly string[]): string[] {
    const programs = new Map(this.config.programs.map((p) => [p.name, p.numprocs]));
    for (const name of this.guard.run(() => knownNames(this.db)) ?? []) {
      const { program, index } = parseInstanceName(name);
      if (!Number.isInteger(index)) continue;
      programs.set(program, Math.max(programs.get(program) ?? 0, index + 1));
    }
    return resolveTargets(targets, programs);
  }

  /**
   * Reads and validates the config file again, then applies only what changed (docs/config.md). An
   * invalid config is refused whole: the ConfigError is logged and thrown, nothing changes.
   */
  reload(programs?: readonly ProgramSpec[]): ReloadResult {
    this.refuseWhenStopping();
    let next: Config;
    try {
      // XML-RPC's addProcessGroup/removeProcessGroup change one program, the rest kept as it is
      next = programs === undefined ? loadConfig(this.config.file) : { ...this.config, programs };
    } catch (error) {
      if (error instanceof ConfigError) {
        this.log.error(`reload refused, nothing changed:\n${error.message}`);
      }
      throw error;
    }
    const plan = diff(this.config.programs, next.programs);
    const summary = describePlan(plan);
    // a reload is applied even when the event log cannot take its row (the guard says so)
    this.revision =
      this.guard.run(() => appendRevision(this.db, next.file, summary)) ?? this.revision;
    this.log.info(`reload (revision ${this.revision}): ${summary}`);
    for (const warning of includeWarnings(next)) this.log.warn(warning);
    for (const section of ['daemon', 'server'] as const) {
      if (JSON.stringify(next[section]) !== JSON.stringify(this.config[section])) {
        this.log.warn(`reload: the ${section} section changed; it takes effect at the next start`);
      }
    }
    const previousEmail = this.config.email;
    this.config = { ...next, daemon: this.config.daemon, server: this.config.server };
    this.rotator.update(outputLimits(this.config.programs));
    this.batch.run(() => this.supervisor.send({ type: 'plan.apply', plan, cause: 'reload' }));
    this.reloadAlerts(next.email, previousEmail);
    return { plan, summary, revision: this.revision };
  }

  /**
   * Serves the RPC on server.host:server.port (creating the token file if missing). Resolves with
   * the address actually bound: port 0 picks a free one. `limits` replace the server's defaults
   * (tests make them short).
   */
  async listen(limits: Partial<RpcLimits> = {}): Promise<AddressInfo> {
    const { host, port, tokenfile } = this.config.server;
    const handlers = rpcHandlers(this);
    this.server = new RpcServer({
      handlers,
      token: ensureToken(tokenfile),
      configFile: this.config.file,
      logFile: this.config.daemon.logfile,
      log: this.log,
      ...limits,
    });
    const address = await this.server.listen(host, port);
    this.log.info(`listening on ${address.address}:${address.port}`);
    if (!isLoopback(address.address)) {
      this.log.warn(
        `listening on ${address.address}, not loopback: anyone who can reach it and has the token controls this daemon`,
      );
    }
    this.xmlrpc = await startXmlRpc(this, handlers);
    return address;
  }

  /** Streams clients follow now (log -f, tail -f): 0 once they have all gone. */
  get streamCount(): number {
    return this.server?.streamCount ?? 0;
  }

  get isStopping(): boolean {
    return this.stopping !== null;
  }

  /** Stops every instance, by priority level from the highest, each with its stopsignal/stoptime. */
  shutdown(): Promise<void> {
    this.stopping ??= (async () => {
      this.log.info('shutdown: stopping every instance');
      const closing = this.server?.stopListening();
      this.batch.run(() => this.supervisor.send({ type: 'shutdown' }));
      await this.waitStoppedOrKill();
      for (const [pid, kill] of this.strays) {
        this.log.warn(`pid ${pid} from a previous run still runs at shutdown: SIGKILL`);
        kill();
      }
      // what the alerts owe goes out now, within a short deadline; what does not stays owed
      await this.alerts?.flush().catch((error: unknown) => this.alertsFailed(error));
      await this.alertsRetiring;
      // clients waiting on `tm shutdown` learn it is done when their connection closes; the
      // listener only finishes closing once they have, so they go first
      this.server?.closeAll();
      await this.xmlrpc?.close();
      await closing;
      await this.rotator.close();
      this.log.info('shutdown complete');
      this.note({
        kind: 'daemon',
        name: null,
        action: 'stopped',
        client: null,
        message: 'shutdown',
      });
      releasePidfile(this.config.daemon.pidfile);
      this.retention.stop();
      this.db.close();
      this.log.close();
      this.markStopped();
    })();
    return this.stopping;
  }

  /**
   * Waits for the ordered shutdown, but not forever: a bug, a process stuck in the kernel or a
   * lost exit must not leave the daemon (and so the machine's shutdown) hanging. Past the time
   * the levels can take — each level's longest stoptime, twice (the stop signal, then the drain
   * of the group), plus a margin — every process still known gets SIGKILL and the daemon exits.
   */
  private async waitStoppedOrKill(): Promise<void> {
    const levels = new Map<number, number>();
    for (const p of this.config.programs) {
      levels.set(p.priority, Math.max(levels.get(p.priority) ?? 0, p.stopTimeMs));
    }
    const { retiring } = this.supervisor.getSnapshot().context;
    const retiringMs = Math.max(
      0,
      ...[...retiring.values()].map((r) => r.getSnapshot().context.spec.stopTimeMs),
    );
    const deadlineMs =
      [...levels.values()].reduce((sum, ms) => sum + 2 * ms, 0) +
      2 * retiringMs +
      SHUTDOWN_MARGIN_MS;
    let timer: NodeJS.Timeout | undefined;
    const isLate = await Promise.race([
      waitFor(this.supervisor, (s) => s.status === 'done', { timeout: Infinity }).then(
        () => false,
        // the supervisor itself failed: what it supervised is killed like a late shutdown's
        () => true,
      ),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), deadlineMs))),
    ]);
    clearTimeout(timer);
    if (!isLate) return;
    const context = this.supervisor.getSnapshot().context;
    const live = [...context.instances.values(), ...context.retiring.values()].filter(
      (ref) => ref.getSnapshot().context.pid !== null,
    );
    this.log.error(
      `shutdown: not done after ${deadlineMs / 1000} s; SIGKILL to what is left: ${live.map((r) => r.getSnapshot().context.name).join(', ') || 'no instance with a process'}`,
    );
    for (const ref of live) {
      const pid = ref.getSnapshot().context.pid!;
      try {
        killGroup(pid, 'SIGKILL');
      } catch (error) {
        this.log.error(`shutdown: cannot SIGKILL pid ${pid}: ${String(error)}`);
      }
    }
    // and whatever the register knows of that the actors may have lost
    for (const p of this.guard.run(() => this.register.unexited()) ?? []) {
      if (!isSameProcess(p.pid, p.procStart)) continue;
      try {
        killGroup(p.pid, 'SIGKILL');
      } catch (error) {
        this.log.error(`shutdown: cannot SIGKILL pid ${p.pid}: ${String(error)}`);
      }
    }
  }

  /** Releases the files of a daemon that never booted (it could not listen, say). */
  close(): void {
    void this.rotator.close();
    void this.xmlrpc?.close();
    this.alerts?.close();
    releasePidfile(this.config.daemon.pidfile);
    this.retention.stop();
    this.db.close();
    this.log.close();
  }

  /** `tm mail test`: a mail through the configured server now; MAIL_FAILED says why not. */
  testMail(): Promise<TestMailResult> {
    if (this.alerts === null) {
      const why =
        this.config.email === null
          ? 'the config has no email section'
          : 'they could not start (the daemon log says why)';
      throw new TaskmasterError('NO_EMAIL', `email alerts are off: ${why}`, {
        hint: `add an email section to ${this.config.file} (config.example.yaml has one), then tm reload`,
      });
    }
    return this.alerts.testMail();
  }

  private openAlerts(email: EmailSection): Alerts | null {
    const host = hostname();
    try {
      const alerts = new Alerts({
        email,
        store: this.alertStore,
        write: (write) => this.guard.run(write),
        instance: (name) => this.alertInstance(name),
        log: this.log,
        bug: (line, kind) => this.alertBugs.say(line, kind),
        host,
        configFile: this.config.file,
        signature: `taskmasterd ${process.pid} on ${host}, config ${this.config.file}`,
        timings: this.alertTimings,
      });
      const events = email.events.length === 0 ? 'nothing' : email.events.join(', ');
      this.log.info(
        `mail: alerts on ${events} to ${email.to.join(', ')} through ${email.smtp.host}:${email.smtp.port}, gathered for ${email.digestMs / 1000} s`,
      );
      return alerts;
    } catch (error) {
      this.log.error(
        `mail: alerts are off, they could not start: ${(error as Error).stack ?? String(error)}`,
      );
      return null;
    }
  }

  /** After a reload: alerts forget removed instances, and start, take the new settings, or stop. */
  private reloadAlerts(email: EmailSection | null, previous: EmailSection | null): void {
    const alerts = this.alerts;
    alerts?.forgetRemoved();
    if (JSON.stringify(email) === JSON.stringify(previous)) return;
    if (email === null) {
      this.alerts = null;
      if (alerts === null) return;
      this.log.info('mail: the email section is gone, alerts stop once what they owe is sent');
      // what was owed is sent (or given up on); then nothing is owed any more, unless alerts
      // were turned on again meanwhile: those pick up from this cursor
      this.alertsRetiring = this.alertsRetiring
        .then(() => alerts.flush('off'))
        .then(() => {
          if (this.config.email === null) this.guard.run(() => this.alertStore.clearCursor());
        })
        .catch((error: unknown) => this.alertsFailed(error));
    } else if (alerts === null) {
      // after the alerts being turned off have sent what they owe: both at once would read and
      // write the one cursor, and mail the same alerts twice
      this.alertsRetiring = this.alertsRetiring.then(() => {
        if (this.config.email !== email || this.alerts !== null || this.stopping !== null) return;
        this.alerts = this.openAlerts(email);
      });
    } else {
      alerts.configure(email);
      this.log.info('mail: the email section changed; the next alerts and mails follow it');
    }
  }

  /** A bug in the alerts: said in full, and no shutdown or reload waits on it. */
  private alertsFailed(error: unknown): void {
    this.log.error(`mail: internal error: ${(error as Error).stack ?? String(error)}`);
  }

  /** An instance as its alert mail shows it; null once it is no longer in the config. */
  private alertInstance(name: string): AlertInstance | null {
    try {
      const [status] = this.status([name]);
      const spec = this.specOf(name);
      return {
        state: status!.state,
        pid: status!.pid,
        since: status!.since,
        output: spec.stderr ?? spec.stdout,
      };
    } catch {
      // removed by a reload since its alert: the mail says so instead of a state
      return null;
    }
  }

  private refuseWhenStopping(): void {
    if (this.stopping !== null) {
      throw new TaskmasterError('SHUTTING_DOWN', 'taskmasterd is shutting down');
    }
  }
}

function isLoopback(address: string): boolean {
  return address.startsWith('127.') || address === '::1' || address === '::ffff:127.0.0.1';
}
