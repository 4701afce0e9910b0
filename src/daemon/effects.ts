import {
  instanceMachine,
  type InstanceContext,
  type InstanceEvent,
} from '../../machines/instance.machine.js';
import type { ExitInfo, StoredEvent, TransitionEvent } from '../domain/types.js';
import type { Append } from '../eventlog/append.js';
import type { ProcessRegister } from '../eventlog/processes.js';
import { bootId, processStartTime } from '../process/identify.js';
import { killGroup } from '../process/kill-group.js';
import { isSpawnFailure, prepareSpawn } from '../process/prepare-spawn.js';
import { spawnProcess } from '../process/spawn-process.js';
import { watchProcess } from '../process/watch-process.js';
import type { CommitBatch } from './commit-batch.js';
import type { TextLog } from './text-log.js';
import type { WorkQueue } from './work-queue.js';

export type EffectDeps = {
  append: Append;
  register: ProcessRegister;
  /**
   * Every write to the event log (rows, register) goes through it: a failure never throws; a
   * burst's writes are one commit, and every act waits for it (commit-batch.ts).
   */
  batch: CommitBatch;
  /** Forks and exits are handled a slice at a time (work-queue.ts). */
  queue: WorkQueue;
  /** Called after the row is committed (or its loss counted): feeds the daemon's event stream. */
  publish: (event: StoredEvent) => void;
  log: TextLog;
  /** Added to every child's environment: the owner mark (find-own-processes.ts). */
  childEnv: Readonly<Record<string, string>>;
};

/** What an effect needs of its instance actor. */
type InstanceSelf = {
  send: (event: InstanceEvent) => void;
  getSnapshot(): {
    status: string;
    context: InstanceContext;
    matches(state: 'starting' | 'stopping'): boolean;
  };
};

/**
 * The instance machine with its real effects. None of them throws: a throw would stop the
 * actor (XState puts it in `error`), so every failure comes back as an event or a log line.
 */
export function instanceMachineWithEffects(deps: EffectDeps) {
  const { log, register, batch, queue } = deps;
  const boot = bootId();
  /** A process's start time by pid, kept until it exits, to close its entry in the register. */
  const procStarts = new Map<number, number>();
  /**
   * What every child inherits, copied out of `process.env` once: that object reads each variable
   * through a call into C++, about 50 µs a copy, at every start. The daemon never changes its
   * environment once it runs.
   */
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...deps.childEnv };

  const exitedLeavingGroup = (name: string, exit: ExitInfo, leftovers: boolean) => {
    const start = procStarts.get(exit.pid);
    if (start !== undefined) batch.write(() => register.exited(exit.pid, start));
    procStarts.delete(exit.pid);
    if (leftovers) {
      log.warn(`${name}: pid ${exit.pid} exited leaving processes in its group; they were stopped`);
    }
  };

  /**
   * What an exit does, for a child and an adopted process alike: its time is taken now, the rest
   * (the register, the machine) waits its turn in the work queue. The register's row, the exit's
   * row and the restart's `starting` row are one commit.
   */
  const exitReporter =
    (name: string, self: { send: (event: InstanceEvent) => void }) =>
    (exit: ExitInfo, leftovers: boolean) => {
      const atMs = Date.now();
      queue.push(() =>
        batch.run(() => {
          exitedLeavingGroup(name, exit, leftovers);
          self.send({ type: 'proc.exited', exit, atMs });
        }),
      );
    };

  /**
   * The fork, in its turn in the work queue, inside a burst of its own: the register's row and,
   * with starttime 0, the `running` row are one commit, made before anything else runs.
   */
  const spawnJob = (self: InstanceSelf) => {
    const snapshot = self.getSnapshot();
    if (snapshot.status !== 'active') return;
    const { context } = snapshot;
    if (!snapshot.matches('starting')) {
      // stopped while it waited for its turn: no process is made only to be killed
      self.send({
        type: 'proc.spawnFailed',
        failure: { message: 'stopped before it was spawned', errno: null },
      });
      return;
    }
    let prepared: ReturnType<typeof prepareSpawn>;
    try {
      prepared = prepareSpawn(context.spec, context.name, childEnv);
    } catch (error) {
      // /etc/passwd unreadable, say: still a failed start, never a throw into the machine
      const errno = (error as NodeJS.ErrnoException).code ?? null;
      prepared = { message: `cannot prepare the spawn: ${String(error)}`, errno };
    }
    if (isSpawnFailure(prepared)) {
      self.send({ type: 'proc.spawnFailed', failure: prepared });
      return;
    }
    spawnProcess(
      prepared,
      { stdout: context.spec.stdout, stderr: context.spec.stderr },
      {
        spawned: (pid) => {
          // on record before anything else runs: a daemon killed now adopts it, and never
          // starts a second copy of it
          const start = processStartTime(pid);
          if (start !== null) {
            procStarts.set(pid, start);
            batch.write(() =>
              register.spawned({ pid, procStart: start, name: context.name, bootId: boot }),
            );
          }
          self.send({ type: 'proc.spawned', pid, atMs: Date.now() });
        },
        spawnFailed: (failure) => self.send({ type: 'proc.spawnFailed', failure }),
        exited: exitReporter(context.name, self),
        drainMs: () => drainMs(self.getSnapshot()),
      },
    );
  };

  return instanceMachine.provide({
    actions: {
      record: ({ context }, params) => {
        const event: TransitionEvent = { atMs: Date.now(), name: context.name, ...params };
        // supervision goes on when the disk is full; the guard says the loss loudly, once
        const stored = batch.write(() => deps.append(event));
        // told once committed; a row whose write or commit failed is told with seq 0
        batch.afterCommit(() =>
          deps.publish(
            stored === undefined || batch.isLost ? { ...event, seq: 0, revision: 0 } : stored,
          ),
        );
      },

      // The fork waits for its turn in the work queue: a storm of restarts is spread over turns
      // of the event loop instead of starving everything else (a row `starting` is already on
      // record; a daemon killed before the fork has nothing to adopt and starts it again).
      spawn: ({ self }) =>
        batch.afterCommit(() => queue.push(() => batch.run(() => spawnJob(self)))),

      watch: ({ context, self }, { pid, procStart }) => {
        procStarts.set(pid, procStart);
        batch.afterCommit(() =>
          watchProcess(pid, procStart, {
            exited: exitReporter(context.name, self),
            drainMs: () => drainMs(self.getSnapshot()),
          }),
        );
      },

      signalGroup: ({ context }, { signal }) => {
        const { pid, name, spec } = context;
        if (pid === null) return;
        const sig = signal === 'stop' ? spec.stopSignal : 'SIGKILL';
        if (signal === 'kill') {
          log.warn(
            `${name}: pid ${pid} still running ${spec.stopTimeMs / 1000} s after ${spec.stopSignal}, sending SIGKILL`,
          );
        }
        // after the commit of the row that asked for it (a stop), as every act
        batch.afterCommit(() => {
          try {
            killGroup(pid, sig as NodeJS.Signals);
          } catch (error) {
            log.error(`${name}: cannot send ${sig} to pid ${pid}: ${String(error)}`);
          }
        });
      },
    },
  });
}

/** Leftovers of a group get the rest of stoptime while stopping, none otherwise. */
function drainMs(snapshot: {
  matches: (s: 'stopping') => boolean;
  context: { spec: { stopTimeMs: number } };
}): number {
  return snapshot.matches('stopping') ? snapshot.context.spec.stopTimeMs : 0;
}
