import { assign, enqueueActions, setup, type ActorRefFrom } from 'xstate';
import type { ProgramChange, ReloadPlan } from '../src/domain/reload-plan.js';
import { instanceSpec } from '../src/domain/instance-spec.js';
import { instanceName } from '../src/domain/names.js';
import { REST_STATES, type Cause, type ProgramSpec, type State } from '../src/domain/types.js';
import { instanceMachine } from './instance.machine.js';

/**
 * Owns one instance actor per `program:index` and turns reload plans, user commands and the
 * shutdown into events for them (the OTP supervisor's job). Starts go in `priority` order; the
 * shutdown stops one priority level at a time, highest first, and waits for each to rest
 * (Supervisor's ordered stop of its groups).
 */

export type InstanceRef = ActorRefFrom<typeof instanceMachine>;

export type SupervisorContext = {
  /** Programs of the config in force, by name, in file order. */
  specs: ReadonlyMap<string, ProgramSpec>;
  /** The instance actor of every instance name of the config in force. */
  instances: ReadonlyMap<string, InstanceRef>;
  /** Actors a reload took away, by actor id: stopped, then forgotten as soon as they rest. */
  retiring: ReadonlyMap<string, InstanceRef>;
  /** Instance names still to stop at shutdown, one array per priority level, highest first. */
  shutdownLevels: readonly (readonly string[])[];
  /** Makes actor ids unique, so a name can be re-created while its old actor still retires. */
  spawned: number;
};

export type CommandAction = 'start' | 'stop' | 'restart';

/** How an instance created by a plan begins, when the event log says more than autostart. */
export type BootDecision = { startCause: Cause | null; retries: number };

export type SupervisorEvent =
  | {
      type: 'plan.apply';
      plan: ReloadPlan;
      cause: Cause;
      /** Per instance name, at daemon start: what replaying the event log decided. */
      boot?: ReadonlyMap<string, BootDecision>;
    }
  | { type: 'command'; action: CommandAction; names: readonly string[]; cause: Cause }
  | { type: 'shutdown' }
  /** A child's new snapshot (`syncSnapshot`); the id after the prefix is the child's. */
  | { type: `xstate.snapshot.${string}` };

/** The state an instance actor is in, as users see it (nested states report their parent). */
export function instanceState(ref: InstanceRef): State {
  const value = ref.getSnapshot().value;
  return (typeof value === 'string' ? value : Object.keys(value)[0]) as State;
}

export function isAtRest(ref: InstanceRef): boolean {
  return REST_STATES.includes(instanceState(ref));
}

function isStoppingForShutdown(ref: InstanceRef): boolean {
  const { context } = ref.getSnapshot();
  return (
    instanceState(ref) === 'stopping' &&
    context.stopCause === 'shutdown' &&
    context.pendingStart === null
  );
}

function programOf(name: string): string {
  return name.slice(0, name.lastIndexOf(':'));
}

/** Start order: `priority`, then the order of the config file, then the index. */
export function startOrder(
  specs: ReadonlyMap<string, ProgramSpec>,
  names: Iterable<string>,
): string[] {
  const order = [...specs.keys()];
  const key = (name: string): [number, number, number] => [
    specs.get(programOf(name))?.priority ?? 0,
    order.indexOf(programOf(name)),
    Number(name.slice(name.lastIndexOf(':') + 1)),
  ];
  return [...names].sort((a, b) => {
    const [pa, oa, ia] = key(a);
    const [pb, ob, ib] = key(b);
    return pa - pb || oa - ob || ia - ib;
  });
}

/** Priority levels, highest first, each listing the instances of that level. */
function levelsForShutdown(context: SupervisorContext): string[][] {
  const levels = new Map<number, string[]>();
  for (const name of startOrder(context.specs, context.instances.keys()).reverse()) {
    const priority = context.specs.get(programOf(name))?.priority ?? 0;
    levels.set(priority, [...(levels.get(priority) ?? []), name]);
  }
  return [...levels.values()];
}

function indexOf(name: string): number {
  return Number(name.slice(name.lastIndexOf(':') + 1));
}

/** Indexes of a change's instances that exist before and after it (neither added nor taken away). */
function keptIndexes(change: Extract<ProgramChange, { kind: 'changed' }>): number[] {
  const kept = change.spec.numprocs - change.addedIndexes.length;
  return Array.from({ length: kept }, (_, i) => i);
}

export const supervisorMachine = setup({
  types: {
    context: {} as SupervisorContext,
    events: {} as SupervisorEvent,
  },
  actors: { instance: instanceMachine },
  actions: {
    /** The structural half of a plan: new actors (each starting itself if autostart), retirees. */
    reshape: assign(({ context, event, spawn }) => {
      if (event.type !== 'plan.apply') return {};
      const specs = new Map(context.specs);
      const instances = new Map(context.instances);
      const retiring = new Map(context.retiring);
      let spawned = context.spawned;
      const retire = (name: string) => {
        const ref = instances.get(name);
        if (ref === undefined) return;
        instances.delete(name);
        retiring.set(ref.id, ref);
      };
      const toCreate: string[] = [];
      for (const change of event.plan) {
        const { spec } = change;
        if (change.kind === 'removed') {
          specs.delete(spec.name);
          for (let i = spec.numprocs - 1; i >= 0; i--) retire(instanceName(spec.name, i));
        } else if (change.kind === 'added') {
          specs.set(spec.name, spec);
          for (let i = 0; i < spec.numprocs; i++) toCreate.push(instanceName(spec.name, i));
        } else if (change.kind === 'changed') {
          specs.set(spec.name, spec);
          for (const i of change.removedIndexes) retire(instanceName(spec.name, i));
          for (const i of change.addedIndexes) toCreate.push(instanceName(spec.name, i));
        }
      }
      for (const name of startOrder(specs, toCreate)) {
        const spec = specs.get(programOf(name))!;
        const boot = event.boot?.get(name) ?? {
          startCause: spec.autostart ? event.cause : null,
          retries: 0,
        };
        const ref = spawn('instance', {
          id: `${name}#${++spawned}`,
          input: {
            name,
            spec: instanceSpec(spec, indexOf(name)),
            startCause: boot.startCause,
            retries: boot.retries,
          },
          syncSnapshot: true,
        });
        instances.set(name, ref);
      }
      return { specs, instances, retiring, spawned };
    }),
    /** The half of a plan that speaks to actors that already existed. */
    signalPlan: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'plan.apply') return;
      for (const ref of context.retiring.values()) {
        if (!isAtRest(ref)) enqueue.sendTo(ref, { type: 'stop', cause: event.cause });
      }
      const toStart: string[] = [];
      for (const change of event.plan) {
        if (change.kind !== 'changed') continue;
        for (const index of keptIndexes(change)) {
          const name = instanceName(change.spec.name, index);
          const ref = context.instances.get(name);
          if (ref === undefined) continue;
          enqueue.sendTo(ref, { type: 'spec.update', spec: instanceSpec(change.spec, index) });
          if (!change.restartIndexes.includes(index)) continue;
          const state = instanceState(ref);
          // a live instance is restarted on the new command; a fatal one is tried again with it,
          // since fixing the config is the usual cure; stopped and exited ones stay at rest
          const { pendingStart } = ref.getSnapshot().context;
          // one stopping for a user's stop stays stopped: only what was to run again restarts
          const isBeingStopped = state === 'stopping' && pendingStart === null;
          if (!REST_STATES.includes(state) && !isBeingStopped) {
            enqueue.sendTo(ref, { type: 'restart', cause: event.cause });
          } else if (state === 'fatal' && change.spec.autostart) {
            toStart.push(name);
          }
        }
      }
      for (const name of startOrder(context.specs, toStart)) {
        enqueue.sendTo(context.instances.get(name)!, { type: 'start', cause: event.cause });
      }
    }),
    command: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'command') return;
      const ordered = startOrder(context.specs, event.names);
      // stop in reverse start order (OTP's rule)
      if (event.action === 'stop') ordered.reverse();
      for (const name of ordered) {
        const ref = context.instances.get(name);
        if (ref !== undefined) enqueue.sendTo(ref, { type: event.action, cause: event.cause });
      }
    }),
    forgetRetired: enqueueActions(({ context, enqueue }) => {
      const done = [...context.retiring.values()].filter(isAtRest);
      if (done.length === 0) return;
      const retiring = new Map(context.retiring);
      for (const ref of done) {
        retiring.delete(ref.id);
        enqueue.stopChild(ref);
      }
      enqueue.assign({ retiring });
    }),
    planShutdown: assign({ shutdownLevels: ({ context }) => levelsForShutdown(context) }),
    /**
     * Stops the first level not yet at rest; levels already at rest are dropped. An instance
     * already stopping for the shutdown is not told again: each stop brings a snapshot back, and
     * so another stop, without end. One stopping for another reason (a reload's restart) is told
     * once, which calls off the start it had queued.
     */
    stopNextLevel: enqueueActions(({ context, enqueue }) => {
      const levels = [...context.shutdownLevels];
      while (levels.length > 0) {
        const live = levels[0]!
          .map((name) => context.instances.get(name))
          .filter((ref): ref is InstanceRef => ref !== undefined && !isAtRest(ref));
        if (live.length > 0) {
          for (const ref of live) {
            if (!isStoppingForShutdown(ref)) {
              enqueue.sendTo(ref, { type: 'stop', cause: 'shutdown' });
            }
          }
          break;
        }
        levels.shift();
      }
      enqueue.assign({ shutdownLevels: levels });
    }),
  },
  guards: {
    shutdownDone: ({ context }) =>
      context.shutdownLevels.length === 0 && context.retiring.size === 0,
  },
}).createMachine({
  id: 'supervisor',
  context: {
    specs: new Map(),
    instances: new Map(),
    retiring: new Map(),
    shutdownLevels: [],
    spawned: 0,
  },
  initial: 'supervising',
  states: {
    supervising: {
      on: {
        // retirees already at rest are forgotten at once: no snapshot of theirs will come
        'plan.apply': { actions: ['reshape', 'signalPlan', 'forgetRetired'] },
        command: { actions: 'command' },
        'xstate.snapshot.*': { actions: 'forgetRetired' },
        shutdown: 'shuttingDown',
      },
    },
    shuttingDown: {
      entry: ['planShutdown', 'stopNextLevel'],
      always: { guard: 'shutdownDone', target: 'down' },
      on: {
        'xstate.snapshot.*': { actions: ['forgetRetired', 'stopNextLevel'] },
        // the daemon answers SHUTTING_DOWN to commands and reloads from here on
        'plan.apply': {},
        command: {},
        shutdown: {},
      },
    },
    down: { type: 'final' },
  },
});
