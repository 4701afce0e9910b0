import { and, assign, not, setup } from 'xstate';
import {
  isTransient,
  type Cause,
  type ExitInfo,
  type ProgramSpec,
  type SpawnFailure,
  type State,
} from '../src/domain/types.js';

/**
 * One instance's lifecycle, after Supervisor's `process.py`. The machine decides; its
 * effects (`record`, `spawn`, `signalGroup`) are named here and implemented by the daemon, so this
 * file does no I/O and every transition can be checked with XState's pure `transition()`.
 */

export type InstanceInput = {
  name: string;
  spec: ProgramSpec;
  retries?: number;
  /** Start at once, for this cause (autostart, reload): the row is recorded like any start. */
  startCause?: Cause | null;
};

export type InstanceContext = {
  name: string;
  spec: ProgramSpec;
  /** Failed starts since the last start a user asked for, or since it last reached `running`. */
  retries: number;
  /** The current process, from `proc.spawned` until it has exited. */
  pid: number | null;
  lastExit: ExitInfo | null;
  spawnError: SpawnFailure | null;
  /** Why the current stop was asked for, recorded again on reaching `stopped`. */
  stopCause: Cause;
  /** A start asked for while stopping (restart, reload): done as soon as the process is gone. */
  pendingStart: Cause | null;
  /** When the current process started (epoch ms): a run's length decides the crash-loop wait. */
  startedAtMs: number | null;
  /** The wait the next quick exit from `running` will have (0, 0.1 s, 0.2 s … up to the cap). */
  loopWaitMs: number;
  /** How long the current (or last) backoff waits, and why it was entered. */
  backoffMs: number;
  backoffCause: Cause | null;
};

export type InstanceEvent =
  | { type: 'start'; cause: Cause }
  | { type: 'stop'; cause: Cause }
  | { type: 'restart'; cause: Cause }
  | { type: 'spec.update'; spec: ProgramSpec }
  /** A process left running by the daemon's previous run, verified to be this instance's. */
  | { type: 'adopt'; pid: number; procStart: number; startedAtMs: number }
  | { type: 'proc.spawned'; pid: number; atMs: number }
  | { type: 'proc.spawnFailed'; failure: SpawnFailure }
  | { type: 'proc.exited'; exit: ExitInfo; atMs: number };

/** A run shorter than this ends in a quick exit, which makes the crash-loop wait grow. */
export const CRASH_LOOP_RUN_MS = 60_000;
/** The first crash-loop wait; each quick exit after it doubles the wait, up to restartdelaymax. */
export const CRASH_LOOP_FIRST_WAIT_MS = 100;
/** The wait before a spawn that failed for want of descriptors or processes is tried again. */
export const TRANSIENT_RETRY_MS = 1000;

/** What `record` appends: everything of a TransitionEvent but the time and the name. */
export type RecordParams = {
  from: State;
  to: State;
  cause: Cause;
  pid: number | null;
  exitCode: number | null;
  signal: string | null;
  retries: number;
  message: string | null;
  waitMs: number | null;
  expected: boolean | null;
};

type Args = { context: InstanceContext; event: InstanceEvent };
type CauseOf = Cause | ((args: Args) => Cause);

/**
 * A `record` action for one edge. Pure `assign`s of the same transition come before it, so the
 * row carries the retry count and pid as they are after the step; effects always come after it.
 */
function record(from: State, to: State, cause: CauseOf) {
  return {
    type: 'record' as const,
    params: (args: Args): RecordParams => {
      const { context, event } = args;
      // a step can record several rows (exited, then starting again): only the row that is the
      // exit carries it, and a row into `starting` has no process yet
      const isExitRow =
        from !== 'exited' && to !== 'starting' && to !== 'running' && to !== 'stopping';
      const exit = isExitRow && event.type === 'proc.exited' ? event.exit : null;
      const failure = isExitRow && event.type === 'proc.spawnFailed' ? event.failure : null;
      // an exit a stop asked for is expected whatever its code; else only a listed code is
      const expected =
        exit === null
          ? null
          : from === 'stopping' ||
            (exit.code !== null && context.spec.exitcodes.includes(exit.code));
      return {
        from,
        to,
        cause: typeof cause === 'function' ? cause(args) : cause,
        pid: to === 'starting' ? null : (exit?.pid ?? context.pid),
        exitCode: exit?.code ?? null,
        signal: exit?.signal ?? null,
        retries: context.retries,
        message: failure?.message ?? null,
        waitMs: to === 'backoff' ? context.backoffMs : null,
        expected,
      };
    },
  };
}

const byEvent = ({ event }: Args): Cause => ('cause' in event ? event.cause : 'user');
const byStopCause = ({ context }: Args): Cause => context.stopCause;
const byPendingStart = ({ context }: Args): Cause => context.pendingStart ?? 'user';

export const instanceMachine = setup({
  types: {
    input: {} as InstanceInput,
    context: {} as InstanceContext,
    events: {} as InstanceEvent,
  },
  actions: {
    /** Provided: appends the row synchronously, before any later action of the step runs. */
    record: (_, _params: RecordParams) => {},
    /** Provided: starts the process; reports back with proc.spawned / proc.spawnFailed / proc.exited. */
    spawn: () => {},
    /** Provided: watches an adopted process, which is not our child, and reports its exit. */
    watch: (_, _params: { pid: number; procStart: number }) => {},
    /** Provided: signals the process group: `stop` is the spec's stopsignal, `kill` is SIGKILL. */
    signalGroup: (_, _params: { signal: 'stop' | 'kill' }) => {},
    countRetry: assign({ retries: ({ context }) => context.retries + 1 }),
    resetRetries: assign({ retries: 0 }),
    // a user's start forgets both counts: the retries and the crash-loop wait
    resetCounts: assign({ retries: 0, loopWaitMs: 0 }),
    /** 1 s, 2 s, 3 s … after the 1st, 2nd, 3rd failed start; a transient one waits 1 s. */
    waitForRetry: assign(({ context, event }) =>
      event.type === 'proc.spawnFailed' && isTransient(event.failure)
        ? { backoffMs: TRANSIENT_RETRY_MS, backoffCause: 'spawn-error' as const }
        : {
            backoffMs: context.retries * 1000,
            backoffCause: event.type === 'proc.spawnFailed' ? ('spawn-error' as const) : 'exit',
          },
    ),
    /**
     * The crash-loop throttle, decided at an exit from `running`: the first restart is
     * at once; each further exit less than a minute after its run started doubles the wait, from
     * 0.1 s up to restartdelaymax; a run of a minute resets it. restartdelaymax 0 never waits.
     */
    planRestart: assign(({ context, event }) => {
      const cap = context.spec.restartDelayMaxMs;
      if (cap === 0) return { backoffMs: 0, loopWaitMs: 0, backoffCause: null };
      const atMs = event.type === 'proc.exited' ? event.atMs : 0;
      const runMs = context.startedAtMs === null ? Infinity : atMs - context.startedAtMs;
      const wait = runMs >= CRASH_LOOP_RUN_MS ? 0 : context.loopWaitMs;
      const next = wait === 0 ? Math.min(CRASH_LOOP_FIRST_WAIT_MS, cap) : Math.min(wait * 2, cap);
      return { backoffMs: wait, loopWaitMs: next, backoffCause: wait > 0 ? 'crash-loop' : null };
    }),
    // a start replayed from the event log continues the count it had (daemon/boot.ts)
    resetRetriesUnlessReplay: assign({
      retries: ({ context }) => (context.pendingStart === 'replay' ? context.retries : 0),
    }),
    clearLastRun: assign({ lastExit: null, spawnError: null }),
    rememberPid: assign({
      pid: ({ event }) =>
        event.type === 'proc.spawned' || event.type === 'adopt' ? event.pid : null,
      startedAtMs: ({ event, context }) =>
        event.type === 'proc.spawned'
          ? event.atMs
          : event.type === 'adopt'
            ? event.startedAtMs
            : context.startedAtMs,
    }),
    rememberExit: assign({
      pid: null,
      spawnError: null,
      lastExit: ({ event, context }) =>
        event.type === 'proc.exited' ? event.exit : context.lastExit,
    }),
    rememberSpawnError: assign({
      pid: null,
      lastExit: null,
      spawnError: ({ event, context }) =>
        event.type === 'proc.spawnFailed' ? event.failure : context.spawnError,
    }),
    rememberStopCause: assign({ stopCause: ({ event }) => byEvent({ event } as Args) }),
    queueStart: assign({ pendingStart: ({ event }) => byEvent({ event } as Args) }),
    clearPendingStart: assign({ pendingStart: null }),
    updateSpec: assign({
      spec: ({ event, context }) => (event.type === 'spec.update' ? event.spec : context.spec),
    }),
  },
  guards: {
    // startretries counts retries after the first try (Supervisor's rule): 3 means 4 attempts.
    retriesLeft: ({ context }) => context.retries < context.spec.startRetries,
    startsAtOnce: ({ context }) => context.spec.startTimeMs === 0,
    isTransientFailure: ({ event }) =>
      event.type === 'proc.spawnFailed' && isTransient(event.failure),
    isThrottled: ({ context }) => context.backoffMs > 0,
    isCrashLoopWait: ({ context }) => context.backoffCause === 'crash-loop',
    isCurrentProcess: ({ context, event }) =>
      event.type === 'proc.exited' && event.exit.pid === context.pid,
    hasPendingStart: ({ context }) => context.pendingStart !== null,
    shouldRestart: ({ context }) => {
      const exit = context.lastExit;
      switch (context.spec.autorestart) {
        case 'always':
          return true;
        case 'never':
          return false;
        case 'unexpected':
          // death by signal is always unexpected (docs/config.md, autorestart)
          return exit === null || exit.code === null || !context.spec.exitcodes.includes(exit.code);
      }
    },
  },
  delays: {
    startTime: ({ context }) => context.spec.startTimeMs,
    // computed on the way in: waitForRetry (failed starts) or planRestart (crash loops)
    backoff: ({ context }) => context.backoffMs,
    stopTime: ({ context }) => context.spec.stopTimeMs,
  },
}).createMachine({
  id: 'instance',
  context: ({ input }) => ({
    name: input.name,
    spec: input.spec,
    retries: input.retries ?? 0,
    pid: null,
    lastExit: null,
    spawnError: null,
    stopCause: 'user',
    pendingStart: input.startCause ?? null,
    startedAtMs: null,
    loopWaitMs: 0,
    backoffMs: 0,
    backoffCause: null,
  }),
  // A spec update (supervision keys of a reload) applies in every state; the process is untouched.
  on: { 'spec.update': { actions: 'updateSpec' } },
  initial: 'stopped',
  states: {
    stopped: {
      always: {
        guard: 'hasPendingStart',
        target: 'starting',
        actions: [
          'resetRetriesUnlessReplay',
          'clearLastRun',
          record('stopped', 'starting', byPendingStart),
          'clearPendingStart',
        ],
      },
      on: {
        start: {
          target: 'starting',
          actions: ['resetCounts', 'clearLastRun', record('stopped', 'starting', byEvent)],
        },
        restart: {
          target: 'starting',
          actions: ['resetCounts', 'clearLastRun', record('stopped', 'starting', byEvent)],
        },
        // already stopped: nothing to do (the RPC layer reports NOT_RUNNING)
        stop: {},
        adopt: {
          target: 'running',
          actions: [
            'rememberPid',
            record('stopped', 'running', 'adopted'),
            {
              type: 'watch',
              params: ({ event }) =>
                event.type === 'adopt'
                  ? { pid: event.pid, procStart: event.procStart }
                  : { pid: 0, procStart: 0 },
            },
          ],
        },
      },
    },

    starting: {
      entry: 'spawn',
      initial: 'spawning',
      states: {
        spawning: {
          on: { 'proc.spawned': { target: 'spawned', actions: 'rememberPid' } },
        },
        spawned: {
          always: {
            guard: 'startsAtOnce',
            target: '#instance.running',
            actions: ['resetRetries', record('starting', 'running', 'timeout')],
          },
          after: {
            startTime: {
              target: '#instance.running',
              actions: ['resetRetries', record('starting', 'running', 'timeout')],
            },
          },
        },
      },
      on: {
        // an exit before starttime is a failed start, whatever its exit code (Supervisor)
        'proc.exited': [
          {
            guard: { type: 'isCurrentProcess' },
            target: 'checkingRetries',
            actions: ['rememberExit'],
          },
        ],
        'proc.spawnFailed': { target: 'checkingRetries', actions: ['rememberSpawnError'] },
        stop: {
          target: 'stopping',
          actions: ['rememberStopCause', record('starting', 'stopping', byEvent)],
        },
        restart: {
          target: 'stopping',
          actions: ['rememberStopCause', 'queueStart', record('starting', 'stopping', byEvent)],
        },
        // already starting: the RPC layer reports ALREADY_STARTED
        start: {},
      },
    },

    /** A transient choice after a failed start, so both failures share one retry rule. */
    checkingRetries: {
      always: [
        // out of descriptors or processes: the daemon's trouble, not the program's
        {
          guard: 'isTransientFailure',
          target: 'backoff',
          actions: ['waitForRetry', record('starting', 'backoff', failedStartCause)],
        },
        {
          guard: 'retriesLeft',
          target: 'backoff',
          actions: ['countRetry', 'waitForRetry', record('starting', 'backoff', failedStartCause)],
        },
        { target: 'fatal', actions: [record('starting', 'fatal', failedStartCause)] },
      ],
    },

    running: {
      on: {
        'proc.exited': {
          guard: 'isCurrentProcess',
          target: 'choosingRestart',
          actions: ['rememberExit', 'planRestart', record('running', 'exited', 'exit')],
        },
        stop: {
          target: 'stopping',
          actions: ['rememberStopCause', record('running', 'stopping', byEvent)],
        },
        restart: {
          target: 'stopping',
          actions: ['rememberStopCause', 'queueStart', record('running', 'stopping', byEvent)],
        },
        start: {},
      },
    },

    backoff: {
      after: {
        backoff: { target: 'starting', actions: [record('backoff', 'starting', 'retry')] },
      },
      on: {
        // no process to signal: a stop in backoff goes straight to stopped (Supervisor)
        stop: { target: 'stopped', actions: [record('backoff', 'stopped', byEvent)] },
        restart: {
          target: 'stopped',
          actions: ['queueStart', record('backoff', 'stopped', byEvent)],
        },
        // a crash-loop wait is the daemon's choice, which a user may overrule; a
        // failed start's backoff is part of the start under way
        start: {
          guard: 'isCrashLoopWait',
          target: 'starting',
          actions: ['resetCounts', 'clearLastRun', record('backoff', 'starting', byEvent)],
        },
      },
    },

    stopping: {
      initial: 'signalled',
      entry: [{ type: 'signalGroup', params: { signal: 'stop' } }],
      states: {
        signalled: {
          after: {
            stopTime: {
              target: 'killed',
              actions: [{ type: 'signalGroup', params: { signal: 'kill' } }],
            },
          },
          on: {
            // a stop asked while the process was still being spawned: signal it once it exists
            'proc.spawned': {
              actions: ['rememberPid', { type: 'signalGroup', params: { signal: 'stop' } }],
            },
          },
        },
        // SIGKILL sent; only the exit (or nothing, for a process stuck in the kernel) can follow
        killed: {
          on: {
            'proc.spawned': {
              actions: ['rememberPid', { type: 'signalGroup', params: { signal: 'kill' } }],
            },
          },
        },
      },
      on: {
        'proc.exited': {
          guard: 'isCurrentProcess',
          target: 'stopped',
          actions: ['rememberExit', record('stopping', 'stopped', byStopCause)],
        },
        'proc.spawnFailed': {
          target: 'stopped',
          actions: ['rememberSpawnError', record('stopping', 'stopped', byStopCause)],
        },
        start: { actions: 'queueStart' },
        restart: { actions: 'queueStart' },
        // the stop under way will do; a start queued by a restart is called off
        stop: { actions: ['clearPendingStart', 'rememberStopCause'] },
      },
    },

    /**
     * Transient, right after an exit: autorestart is decided once, here, and not again in
     * `exited`, where a later spec.update (say autorestart: never -> always) must not start it.
     */
    choosingRestart: {
      always: [
        {
          guard: and(['shouldRestart', not('isThrottled')]),
          target: 'starting',
          actions: [record('exited', 'starting', 'exit')],
        },
        {
          guard: 'shouldRestart',
          target: 'backoff',
          actions: [record('exited', 'backoff', 'crash-loop')],
        },
        { target: 'exited' },
      ],
    },

    exited: {
      on: {
        start: {
          target: 'starting',
          actions: ['resetCounts', 'clearLastRun', record('exited', 'starting', byEvent)],
        },
        restart: {
          target: 'starting',
          actions: ['resetCounts', 'clearLastRun', record('exited', 'starting', byEvent)],
        },
        stop: {},
      },
    },

    fatal: {
      on: {
        start: {
          target: 'starting',
          actions: ['resetCounts', 'clearLastRun', record('fatal', 'starting', byEvent)],
        },
        restart: {
          target: 'starting',
          actions: ['resetCounts', 'clearLastRun', record('fatal', 'starting', byEvent)],
        },
        stop: {},
      },
    },
  },
});

// The transient state sees the event that led into it: the exit or the spawn failure.
function failedStartCause({ event }: Args): Cause {
  return event.type === 'proc.spawnFailed' ? 'spawn-error' : 'exit';
}
