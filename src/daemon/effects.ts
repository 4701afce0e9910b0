import { instanceMachine } from '../../machines/instance.machine.js';
import type { ExitInfo, StoredEvent, TransitionEvent } from '../domain/types.js';
import type { Append } from '../eventlog/append.js';
import type { ProcessRegister } from '../eventlog/processes.js';
import { bootId, processStartTime } from '../process/identify.js';
import { killGroup } from '../process/kill-group.js';
import { isSpawnFailure, prepareSpawn } from '../process/prepare-spawn.js';
import { spawnProcess } from '../process/spawn-process.js';
import { watchProcess } from '../process/watch-process.js';
import type { TextLog } from './text-log.js';

export type EffectDeps = {
  append: Append;
  register: ProcessRegister;
  /** Called after the row is committed: feeds the daemon's event stream. */
  publish: (event: StoredEvent) => void;
  log: TextLog;
};

/**
 * The instance machine with its real effects. None of them throws: a throw would stop the
 * actor (XState puts it in `error`), so every failure comes back as an event or a log line.
 */
export function instanceMachineWithEffects(deps: EffectDeps) {
  const { log, register } = deps;
  const boot = bootId();
  /** A process's start time by pid, kept until it exits, to close its entry in the register. */
  const procStarts = new Map<number, number>();

  const exitedLeavingGroup = (name: string, exit: ExitInfo, leftovers: boolean) => {
    const start = procStarts.get(exit.pid);
    if (start !== undefined) register.exited(exit.pid, start);
    procStarts.delete(exit.pid);
    if (leftovers) {
      log.warn(`${name}: pid ${exit.pid} exited leaving processes in its group; they were stopped`);
    }
  };

  return instanceMachine.provide({
    actions: {
      record: ({ context }, params) => {
        const event: TransitionEvent = { atMs: Date.now(), name: context.name, ...params };
        let stored: StoredEvent;
        try {
          stored = deps.append(event);
        } catch (error) {
          // supervision must go on even when the disk is full; the loss is said loudly
          log.error(
            `event log write failed, ${context.name} ${params.from} -> ${params.to} is not on record: ${String(error)}`,
          );
          stored = { ...event, seq: 0, revision: 0 };
        }
        deps.publish(stored);
      },

      spawn: ({ context, self }) => {
        let prepared: ReturnType<typeof prepareSpawn>;
        try {
          prepared = prepareSpawn(context.spec, context.name);
        } catch (error) {
          // /etc/passwd unreadable, say: still a failed start, never a throw into the machine
          prepared = { message: `cannot prepare the spawn: ${String(error)}`, errno: null };
        }
        if (isSpawnFailure(prepared)) {
          // reported as Node reports its own spawn errors: after the current step
          setImmediate(() => self.send({ type: 'proc.spawnFailed', failure: prepared }));
          return;
        }
        spawnProcess(
          prepared,
          { stdout: context.spec.stdout, stderr: context.spec.stderr },
          {
            spawned: (pid) => {
              const start = processStartTime(pid);
              if (start !== null) {
                procStarts.set(pid, start);
                // on record before the machine hears of it: a daemon dying now can adopt it
                tryRegister(() =>
                  register.spawned({ pid, procStart: start, name: context.name, bootId: boot }),
                );
              }
              self.send({ type: 'proc.spawned', pid });
            },
            spawnFailed: (failure) => self.send({ type: 'proc.spawnFailed', failure }),
            exited: (exit, leftovers) => {
              exitedLeavingGroup(context.name, exit, leftovers);
              self.send({ type: 'proc.exited', exit });
            },
            drainMs: () => drainMs(self.getSnapshot()),
          },
        );
      },

      watch: ({ context, self }, { pid, procStart }) => {
        procStarts.set(pid, procStart);
        watchProcess(pid, procStart, {
          exited: (exit, leftovers) => {
            exitedLeavingGroup(context.name, exit, leftovers);
            self.send({ type: 'proc.exited', exit });
          },
          drainMs: () => drainMs(self.getSnapshot()),
        });
      },

      signalGroup: ({ context }, { signal }) => {
        if (context.pid === null) return;
        const sig = signal === 'stop' ? context.spec.stopSignal : 'SIGKILL';
        if (signal === 'kill') {
          log.warn(
            `${context.name}: pid ${context.pid} still running ${context.spec.stopTimeMs / 1000} s after ${context.spec.stopSignal}, sending SIGKILL`,
          );
        }
        try {
          killGroup(context.pid, sig as NodeJS.Signals);
        } catch (error) {
          log.error(`${context.name}: cannot send ${sig} to pid ${context.pid}: ${String(error)}`);
        }
      },
    },
  });

  function tryRegister(write: () => void): void {
    try {
      write();
    } catch (error) {
      log.error(`event log write failed, the process register is incomplete: ${String(error)}`);
    }
  }
}

/** Leftovers of a group get the rest of stoptime while stopping, none otherwise. */
function drainMs(snapshot: {
  matches: (s: 'stopping') => boolean;
  context: { spec: { stopTimeMs: number } };
}): number {
  return snapshot.matches('stopping') ? snapshot.context.spec.stopTimeMs : 0;
}
