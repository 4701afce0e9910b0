import { describe, expect, it } from 'vitest';
import {
  createActor,
  initialTransition,
  SimulatedClock,
  transition,
  type AnyStateNode,
  type StateValue,
} from 'xstate';
import {
  instanceMachine,
  type InstanceContext,
  type InstanceEvent,
  type InstanceInput,
  type RecordParams,
} from '../../../machines/instance.machine.js';
import type { ExitInfo, ProgramSpec, SpawnFailure } from '../../../src/domain/types.js';
import { makeSpec } from '../../helpers/spec.js';

/**
 * The whole states × events table of the instance machine (s6's `actions[][]`), walked
 * with XState's pure `transition()`, then the timers with a SimulatedClock.
 */

const PID = 42; // the instance's current process
const STALE = 7; // a process of an earlier try, whose exit is reported late
const FAILURE: SpawnFailure = { message: 'no such file: /usr/bin/nope', errno: 'ENOENT' };
/** The daemon out of descriptors: a failure of the moment (issue 7, fd exhaustion). */
const EMFILE: SpawnFailure = { message: 'cannot open /tmp/web.log: EMFILE', errno: 'EMFILE' };

const SPEC = makeSpec({ name: 'web', startTimeMs: 100, stopTimeMs: 100, startRetries: 2 });
/** A reload that changed a supervision key only. */
const UPDATED = makeSpec({ ...SPEC, stopTimeMs: 250 });

// The states a process can rest or wait in, as `parent.child` for nested ones. `checkingRetries` and
// `choosingRestart` are transient (only eventless transitions): nothing can be sent to them, so they
// have no row; what they decide is in the rows that lead into them.
const STATES = [
  'stopped',
  'starting.spawning',
  'starting.spawned',
  'running',
  'backoff',
  'stopping.signalled',
  'stopping.killed',
  'exited',
  'fatal',
] as const;
type StateKey = (typeof STATES)[number];
const TRANSIENT = ['checkingRetries', 'choosingRestart'];

const EVENTS = [
  'start',
  'stop',
  'restart',
  'spec.update',
  'adopt',
  'proc.spawned',
  'proc.spawnFailed',
  'proc.exited',
  'proc.exited(stale)',
] as const;
/** The delayed event of each state that has an `after` timer. */
const TIMERS = {
  'starting.spawned': 'after startTime',
  backoff: 'after backoff',
  'stopping.signalled': 'after stopTime',
} as const satisfies Partial<Record<StateKey, string>>;
type EventKey = (typeof EVENTS)[number] | (typeof TIMERS)[keyof typeof TIMERS];

/** When the process of the usual rows started, and when it exits: a long run (no crash loop). */
const STARTED_AT = 1_000;
const EXIT_AT = STARTED_AT + 120_000;
/** A quick exit: half a second after its run started (a crash loop). */
const QUICK = STARTED_AT + 500;

function exit(
  pid: number,
  code: number | null,
  signal: string | null = null,
  atMs = EXIT_AT,
): InstanceEvent {
  return { type: 'proc.exited', exit: { pid, code, signal }, atMs };
}

/** A delayed event, as XState names it (`xstate.after.<delay>.<state node id>`). */
function timer(delay: string, nodeId: string): InstanceEvent {
  return { type: `xstate.after.${delay}.${nodeId}` } as unknown as InstanceEvent;
}

const EVENT: Record<EventKey, InstanceEvent> = {
  start: { type: 'start', cause: 'user' },
  stop: { type: 'stop', cause: 'user' },
  restart: { type: 'restart', cause: 'user' },
  'spec.update': { type: 'spec.update', spec: UPDATED },
  adopt: { type: 'adopt', pid: PID, procStart: 1234, startedAtMs: 500 },
  'proc.spawned': { type: 'proc.spawned', pid: PID, atMs: STARTED_AT },
  'proc.spawnFailed': { type: 'proc.spawnFailed', failure: FAILURE },
  'proc.exited': exit(PID, 1),
  'proc.exited(stale)': exit(STALE, 0),
  'after startTime': timer('startTime', 'instance.starting.spawned'),
  'after backoff': timer('backoff', 'instance.backoff'),
  'after stopTime': timer('stopTime', 'instance.stopping.signalled'),
};

const earlierExit: ExitInfo = { pid: STALE, code: 1, signal: null };

/** What each state's context usually holds when an event arrives there. */
const CONTEXT: Record<StateKey, Partial<InstanceContext>> = {
  stopped: {},
  'starting.spawning': {},
  'starting.spawned': { pid: PID, startedAtMs: STARTED_AT },
  running: { pid: PID, startedAtMs: STARTED_AT },
  backoff: { retries: 1, lastExit: earlierExit, backoffMs: 1000, backoffCause: 'exit' },
  'stopping.signalled': { pid: PID, startedAtMs: STARTED_AT },
  'stopping.killed': { pid: PID, startedAtMs: STARTED_AT },
  // an expected exit (code 0, autorestart unexpected): it rests here
  exited: { lastExit: { pid: STALE, code: 0, signal: null } },
  fatal: { retries: 2, lastExit: earlierExit },
};

function contextFor(state: StateKey, given: Partial<InstanceContext> = {}): InstanceContext {
  return {
    name: 'web:0',
    spec: SPEC,
    retries: 0,
    pid: null,
    lastExit: null,
    spawnError: null,
    stopCause: 'user',
    pendingStart: null,
    startedAtMs: null,
    loopWaitMs: 0,
    backoffMs: 0,
    backoffCause: null,
    ...CONTEXT[state],
    ...given,
  };
}

function valueOf(state: StateKey): StateValue {
  const [parent, child] = state.split('.');
  return child === undefined ? state : { [parent!]: child };
}

function keyOf(value: StateValue): string {
  if (typeof value === 'string') return value;
  const [parent, child] = Object.entries(value)[0]!;
  return `${parent}.${keyOf(child as StateValue)}`;
}

function snapshotIn(state: StateKey, given?: Partial<InstanceContext>) {
  return instanceMachine.resolveState({ value: valueOf(state), context: contextFor(state, given) });
}

/**
 * One action as a line: `record from→to (cause) pid=… retries=…` (then code, signal, message when
 * not null), `spawn`, `signalGroup stop`, `after backoff 1000ms` (a timer set), `cancel backoff`.
 * Assigns are applied by `transition()` and are not in the list; their result is in `context`.
 */
function describeAction(action: { type: string; params?: unknown }): string {
  switch (action.type) {
    case 'record': {
      const p = action.params as RecordParams;
      let line = `record ${p.from}→${p.to} (${p.cause}) pid=${p.pid} retries=${p.retries}`;
      if (p.exitCode !== null) line += ` code=${p.exitCode}`;
      if (p.signal !== null) line += ` signal=${p.signal}`;
      if (p.message !== null) line += ` message=${p.message}`;
      if (p.waitMs !== null) line += ` wait=${p.waitMs}`;
      if (p.expected !== null) line += ` expected=${p.expected}`;
      return line;
    }
    case 'signalGroup':
      return `signalGroup ${(action.params as { signal: string }).signal}`;
    case 'watch': {
      const p = action.params as { pid: number; procStart: number };
      return `watch pid=${p.pid} procStart=${p.procStart}`;
    }
    case 'xstate.raise': {
      const p = action.params as { id: string; delay?: number };
      return `after ${/^xstate\.after\.(\w+)\./.exec(p.id)?.[1]} ${p.delay}ms`;
    }
    case 'xstate.cancel':
      return `cancel ${/^xstate\.after\.(\w+)\./.exec((action.params as { sendId: string }).sendId)?.[1]}`;
    default:
      return action.type;
  }
}

type Row = {
  state: StateKey;
  event: EventKey;
  /** A variant row: why it differs from the state's usual row. */
  why?: string;
  given?: Partial<InstanceContext>;
  /** Sent instead of the usual event of its column. */
  send?: InstanceEvent;
  to: StateKey;
  actions: readonly string[];
  /** Facts the next context must hold. */
  context?: Partial<InstanceContext>;
};

const stopRecord = (from: string) => `record ${from}→stopping (user) pid=${PID} retries=0`;

// prettier-ignore
const TABLE: readonly Row[] = [
  // ── stopped ────────────────────────────────────────────────────────────────────────────────
  { state: 'stopped', event: 'start', to: 'starting.spawning', actions: ['record stopped→starting (user) pid=null retries=0', 'spawn'] },
  { state: 'stopped', event: 'start', why: 'a user start forgets the last run', given: { retries: 2, lastExit: earlierExit, spawnError: FAILURE },
    to: 'starting.spawning', actions: ['record stopped→starting (user) pid=null retries=0', 'spawn'], context: { retries: 0, lastExit: null, spawnError: null } },
  { state: 'stopped', event: 'stop', to: 'stopped', actions: [] },
  { state: 'stopped', event: 'restart', to: 'starting.spawning', actions: ['record stopped→starting (user) pid=null retries=0', 'spawn'] },
  { state: 'stopped', event: 'spec.update', to: 'stopped', actions: [], context: { spec: UPDATED } },
  { state: 'stopped', event: 'adopt', to: 'running', actions: [`record stopped→running (adopted) pid=${PID} retries=0`, `watch pid=${PID} procStart=1234`], context: { pid: PID } },
  { state: 'stopped', event: 'proc.spawned', to: 'stopped', actions: [] },
  { state: 'stopped', event: 'proc.spawnFailed', to: 'stopped', actions: [] },
  { state: 'stopped', event: 'proc.exited', to: 'stopped', actions: [] },
  { state: 'stopped', event: 'proc.exited(stale)', to: 'stopped', actions: [] },

  // ── starting.spawning: spawn asked, no pid yet ─────────────────────────────────────────────
  { state: 'starting.spawning', event: 'start', to: 'starting.spawning', actions: [] },
  { state: 'starting.spawning', event: 'stop', to: 'stopping.signalled', actions: ['record starting→stopping (user) pid=null retries=0', 'signalGroup stop', 'after stopTime 100ms'], context: { stopCause: 'user', pendingStart: null } },
  { state: 'starting.spawning', event: 'stop', why: 'the cause is kept for the row into stopped', send: { type: 'stop', cause: 'shutdown' },
    to: 'stopping.signalled', actions: ['record starting→stopping (shutdown) pid=null retries=0', 'signalGroup stop', 'after stopTime 100ms'], context: { stopCause: 'shutdown' } },
  { state: 'starting.spawning', event: 'restart', to: 'stopping.signalled', actions: ['record starting→stopping (user) pid=null retries=0', 'signalGroup stop', 'after stopTime 100ms'], context: { pendingStart: 'user' } },
  { state: 'starting.spawning', event: 'spec.update', to: 'starting.spawning', actions: [], context: { spec: UPDATED } },
  { state: 'starting.spawning', event: 'adopt', to: 'starting.spawning', actions: [] },
  { state: 'starting.spawning', event: 'proc.spawned', to: 'starting.spawned', actions: ['after startTime 100ms'], context: { pid: PID } },
  { state: 'starting.spawning', event: 'proc.spawned', why: 'starttime 0: running at once', given: { spec: makeSpec({ ...SPEC, startTimeMs: 0 }), retries: 1 },
    to: 'running', actions: ['after startTime 0ms', 'cancel startTime', `record starting→running (timeout) pid=${PID} retries=0`], context: { pid: PID, retries: 0 } },
  { state: 'starting.spawning', event: 'proc.spawnFailed', to: 'backoff', actions: [`record starting→backoff (spawn-error) pid=null retries=1 message=${FAILURE.message} wait=1000`, 'after backoff 1000ms'], context: { retries: 1, spawnError: FAILURE, pid: null } },
  { state: 'starting.spawning', event: 'proc.spawnFailed', why: 'second retry: 2 s', given: { retries: 1 },
    to: 'backoff', actions: [`record starting→backoff (spawn-error) pid=null retries=2 message=${FAILURE.message} wait=2000`, 'after backoff 2000ms'], context: { retries: 2 } },
  { state: 'starting.spawning', event: 'proc.spawnFailed', why: 'startretries 2 used up: the 3rd failure is fatal', given: { retries: 2 },
    to: 'fatal', actions: [`record starting→fatal (spawn-error) pid=null retries=2 message=${FAILURE.message}`], context: { retries: 2, spawnError: FAILURE } },
  { state: 'starting.spawning', event: 'proc.spawnFailed', why: 'out of descriptors: tried again in 1 s, not a step towards fatal', given: { retries: 2 }, send: { type: 'proc.spawnFailed', failure: EMFILE },
    to: 'backoff', actions: [`record starting→backoff (spawn-error) pid=null retries=2 message=${EMFILE.message} wait=1000`, 'after backoff 1000ms'], context: { retries: 2, backoffCause: 'spawn-error' } },
  { state: 'starting.spawning', event: 'proc.exited', to: 'starting.spawning', actions: [] },
  { state: 'starting.spawning', event: 'proc.exited(stale)', to: 'starting.spawning', actions: [] },

  // ── starting.spawned: waiting for starttime ────────────────────────────────────────────────
  { state: 'starting.spawned', event: 'start', to: 'starting.spawned', actions: [] },
  { state: 'starting.spawned', event: 'stop', to: 'stopping.signalled', actions: ['cancel startTime', stopRecord('starting'), 'signalGroup stop', 'after stopTime 100ms'] },
  { state: 'starting.spawned', event: 'restart', to: 'stopping.signalled', actions: ['cancel startTime', stopRecord('starting'), 'signalGroup stop', 'after stopTime 100ms'], context: { pendingStart: 'user' } },
  { state: 'starting.spawned', event: 'spec.update', to: 'starting.spawned', actions: [], context: { spec: UPDATED, pid: PID } },
  { state: 'starting.spawned', event: 'adopt', to: 'starting.spawned', actions: [] },
  { state: 'starting.spawned', event: 'proc.spawned', to: 'starting.spawned', actions: [] },
  // a spawn error after the spawn (Node's late 'error'): counted as a failed start
  { state: 'starting.spawned', event: 'proc.spawnFailed', to: 'backoff', actions: ['cancel startTime', `record starting→backoff (spawn-error) pid=null retries=1 message=${FAILURE.message} wait=1000`, 'after backoff 1000ms'] },
  { state: 'starting.spawned', event: 'proc.exited', to: 'backoff', actions: ['cancel startTime', `record starting→backoff (exit) pid=${PID} retries=1 code=1 wait=1000 expected=false`, 'after backoff 1000ms'],
    context: { retries: 1, pid: null, lastExit: { pid: PID, code: 1, signal: null } } },
  { state: 'starting.spawned', event: 'proc.exited', why: 'an expected exit code before starttime is still a failed start', send: exit(PID, 0),
    to: 'backoff', actions: ['cancel startTime', `record starting→backoff (exit) pid=${PID} retries=1 code=0 wait=1000 expected=true`, 'after backoff 1000ms'] },
  { state: 'starting.spawned', event: 'proc.exited', why: 'death by signal before starttime', send: exit(PID, null, 'SIGSEGV'),
    to: 'backoff', actions: ['cancel startTime', `record starting→backoff (exit) pid=${PID} retries=1 signal=SIGSEGV wait=1000 expected=false`, 'after backoff 1000ms'] },
  { state: 'starting.spawned', event: 'proc.exited', why: 'second failed retry waits 2 s', given: { retries: 1 },
    to: 'backoff', actions: ['cancel startTime', `record starting→backoff (exit) pid=${PID} retries=2 code=1 wait=2000 expected=false`, 'after backoff 2000ms'], context: { retries: 2 } },
  { state: 'starting.spawned', event: 'proc.exited', why: 'startretries 2 used up: fatal', given: { retries: 2 },
    to: 'fatal', actions: ['cancel startTime', `record starting→fatal (exit) pid=${PID} retries=2 code=1 expected=false`], context: { retries: 2, pid: null } },
  { state: 'starting.spawned', event: 'proc.exited(stale)', to: 'starting.spawned', actions: [], context: { pid: PID } },
  { state: 'starting.spawned', event: 'after startTime', to: 'running', actions: ['cancel startTime', `record starting→running (timeout) pid=${PID} retries=0`] },
  { state: 'starting.spawned', event: 'after startTime', why: 'reaching running resets the retry count', given: { retries: 2 },
    to: 'running', actions: ['cancel startTime', `record starting→running (timeout) pid=${PID} retries=0`], context: { retries: 0 } },

  // ── running ────────────────────────────────────────────────────────────────────────────────
  { state: 'running', event: 'start', to: 'running', actions: [] },
  { state: 'running', event: 'stop', to: 'stopping.signalled', actions: [stopRecord('running'), 'signalGroup stop', 'after stopTime 100ms'], context: { pendingStart: null } },
  { state: 'running', event: 'restart', to: 'stopping.signalled', actions: [stopRecord('running'), 'signalGroup stop', 'after stopTime 100ms'], context: { pendingStart: 'user' } },
  { state: 'running', event: 'spec.update', to: 'running', actions: [], context: { spec: UPDATED, pid: PID } },
  { state: 'running', event: 'adopt', to: 'running', actions: [], context: { pid: PID } },
  { state: 'running', event: 'proc.spawned', to: 'running', actions: [] },
  { state: 'running', event: 'proc.spawnFailed', to: 'running', actions: [], context: { pid: PID } },
  // autorestart unexpected, exit code 1 not in exitcodes [0]: restarted at once, no backoff
  { state: 'running', event: 'proc.exited', to: 'starting.spawning',
    actions: [`record running→exited (exit) pid=${PID} retries=0 code=1 expected=false`, 'record exited→starting (exit) pid=null retries=0', 'spawn'], context: { pid: null, lastExit: { pid: PID, code: 1, signal: null } } },
  { state: 'running', event: 'proc.exited', why: 'unexpected: an expected code rests in exited', send: exit(PID, 0),
    to: 'exited', actions: [`record running→exited (exit) pid=${PID} retries=0 code=0 expected=true`], context: { pid: null, lastExit: { pid: PID, code: 0, signal: null } } },
  { state: 'running', event: 'proc.exited', why: 'unexpected: any code listed in exitcodes is expected', given: { spec: makeSpec({ ...SPEC, exitcodes: [0, 2] }) }, send: exit(PID, 2),
    to: 'exited', actions: [`record running→exited (exit) pid=${PID} retries=0 code=2 expected=true`] },
  { state: 'running', event: 'proc.exited', why: 'unexpected: death by signal is always unexpected', send: exit(PID, null, 'SIGTERM'),
    to: 'starting.spawning', actions: [`record running→exited (exit) pid=${PID} retries=0 signal=SIGTERM expected=false`, 'record exited→starting (exit) pid=null retries=0', 'spawn'] },
  { state: 'running', event: 'proc.exited', why: 'always: even an expected code restarts', given: { spec: makeSpec({ ...SPEC, autorestart: 'always' }) }, send: exit(PID, 0),
    to: 'starting.spawning', actions: [`record running→exited (exit) pid=${PID} retries=0 code=0 expected=true`, 'record exited→starting (exit) pid=null retries=0', 'spawn'] },
  { state: 'running', event: 'proc.exited', why: 'never: an unexpected code rests too', given: { spec: makeSpec({ ...SPEC, autorestart: 'never' }) },
    to: 'exited', actions: [`record running→exited (exit) pid=${PID} retries=0 code=1 expected=false`] },
  { state: 'running', event: 'proc.exited', why: 'never: a death by signal rests too', given: { spec: makeSpec({ ...SPEC, autorestart: 'never' }) }, send: exit(PID, null, 'SIGKILL'),
    to: 'exited', actions: [`record running→exited (exit) pid=${PID} retries=0 signal=SIGKILL expected=false`] },
  // the crash-loop throttle (docs/faults.md, issue 7): runs under a minute make the wait grow
  { state: 'running', event: 'proc.exited', why: 'crash loop: a first quick exit restarts at once, and arms a 0.1 s wait', send: exit(PID, 1, null, QUICK),
    to: 'starting.spawning', actions: [`record running→exited (exit) pid=${PID} retries=0 code=1 expected=false`, 'record exited→starting (exit) pid=null retries=0', 'spawn'], context: { loopWaitMs: 100 } },
  { state: 'running', event: 'proc.exited', why: 'crash loop: a further quick exit waits in backoff', given: { loopWaitMs: 100 }, send: exit(PID, 1, null, QUICK),
    to: 'backoff', actions: [`record running→exited (exit) pid=${PID} retries=0 code=1 expected=false`, 'record exited→backoff (crash-loop) pid=null retries=0 wait=100', 'after backoff 100ms'],
    context: { loopWaitMs: 200, backoffCause: 'crash-loop', retries: 0 } },
  { state: 'running', event: 'proc.exited', why: 'crash loop: the wait doubles up to restartdelaymax', given: { loopWaitMs: 20_000 }, send: exit(PID, null, 'SIGSEGV', QUICK),
    to: 'backoff', actions: [`record running→exited (exit) pid=${PID} retries=0 signal=SIGSEGV expected=false`, 'record exited→backoff (crash-loop) pid=null retries=0 wait=20000', 'after backoff 20000ms'],
    context: { loopWaitMs: 30_000 } },
  { state: 'running', event: 'proc.exited', why: 'crash loop: at restartdelaymax the wait stays there', given: { loopWaitMs: 30_000 }, send: exit(PID, 1, null, QUICK),
    to: 'backoff', actions: [`record running→exited (exit) pid=${PID} retries=0 code=1 expected=false`, 'record exited→backoff (crash-loop) pid=null retries=0 wait=30000', 'after backoff 30000ms'],
    context: { loopWaitMs: 30_000 } },
  { state: 'running', event: 'proc.exited', why: 'a run of 60 s resets the crash-loop wait', given: { loopWaitMs: 800 }, send: exit(PID, 1, null, STARTED_AT + 60_000),
    to: 'starting.spawning', actions: [`record running→exited (exit) pid=${PID} retries=0 code=1 expected=false`, 'record exited→starting (exit) pid=null retries=0', 'spawn'], context: { loopWaitMs: 100 } },
  { state: 'running', event: 'proc.exited', why: 'restartdelaymax 0: never a wait (Supervisor)', given: { spec: makeSpec({ ...SPEC, restartDelayMaxMs: 0 }), loopWaitMs: 0 }, send: exit(PID, 1, null, QUICK),
    to: 'starting.spawning', actions: [`record running→exited (exit) pid=${PID} retries=0 code=1 expected=false`, 'record exited→starting (exit) pid=null retries=0', 'spawn'], context: { loopWaitMs: 0 } },
  { state: 'running', event: 'proc.exited', why: 'an expected exit rests: no wait is planned for it', given: { loopWaitMs: 100 }, send: exit(PID, 0, null, QUICK),
    to: 'exited', actions: [`record running→exited (exit) pid=${PID} retries=0 code=0 expected=true`] },
  { state: 'running', event: 'proc.exited(stale)', to: 'running', actions: [], context: { pid: PID } },

  // ── backoff: no process, a retry timer ─────────────────────────────────────────────────────
  { state: 'backoff', event: 'start', to: 'backoff', actions: [] },
  { state: 'backoff', event: 'start', why: "a user's start ends a crash-loop wait at once", given: { retries: 0, backoffCause: 'crash-loop', backoffMs: 400, loopWaitMs: 800 },
    to: 'starting.spawning', actions: ['cancel backoff', 'record backoff→starting (user) pid=null retries=0', 'spawn'], context: { loopWaitMs: 0 } },
  // no process to signal: straight to stopped (Supervisor)
  { state: 'backoff', event: 'stop', to: 'stopped', actions: ['cancel backoff', 'record backoff→stopped (user) pid=null retries=1'] },
  { state: 'backoff', event: 'restart', to: 'starting.spawning',
    actions: ['cancel backoff', 'record backoff→stopped (user) pid=null retries=1', 'record stopped→starting (user) pid=null retries=0', 'spawn'], context: { retries: 0, pendingStart: null } },
  { state: 'backoff', event: 'spec.update', to: 'backoff', actions: [], context: { spec: UPDATED } },
  { state: 'backoff', event: 'adopt', to: 'backoff', actions: [] },
  { state: 'backoff', event: 'proc.spawned', to: 'backoff', actions: [] },
  { state: 'backoff', event: 'proc.spawnFailed', to: 'backoff', actions: [] },
  { state: 'backoff', event: 'proc.exited', to: 'backoff', actions: [] },
  { state: 'backoff', event: 'proc.exited(stale)', to: 'backoff', actions: [] },
  { state: 'backoff', event: 'after backoff', why: 'a crash-loop wait is over', given: { retries: 0, backoffCause: 'crash-loop', backoffMs: 400, loopWaitMs: 800 },
    to: 'starting.spawning', actions: ['cancel backoff', 'record backoff→starting (retry) pid=null retries=0', 'spawn'], context: { loopWaitMs: 800 } },
  { state: 'backoff', event: 'after backoff', to: 'starting.spawning', actions: ['cancel backoff', 'record backoff→starting (retry) pid=null retries=1', 'spawn'], context: { retries: 1 } },

  // ── stopping.signalled: stopsignal sent, stoptime running ──────────────────────────────────
  { state: 'stopping.signalled', event: 'start', to: 'stopping.signalled', actions: [], context: { pendingStart: 'user' } },
  { state: 'stopping.signalled', event: 'stop', to: 'stopping.signalled', actions: [], context: { pendingStart: null } },
  { state: 'stopping.signalled', event: 'stop', why: 'a stop after a restart cancels the start it queued', given: { stopCause: 'reload', pendingStart: 'reload' }, send: { type: 'stop', cause: 'shutdown' },
    to: 'stopping.signalled', actions: [], context: { pendingStart: null, stopCause: 'shutdown' } },
  { state: 'stopping.signalled', event: 'restart', to: 'stopping.signalled', actions: [], context: { pendingStart: 'user' } },
  { state: 'stopping.signalled', event: 'spec.update', to: 'stopping.signalled', actions: [], context: { spec: UPDATED } },
  { state: 'stopping.signalled', event: 'adopt', to: 'stopping.signalled', actions: [] },
  // a stop asked while spawning: the process that appears now is signalled at once
  { state: 'stopping.signalled', event: 'proc.spawned', given: { pid: null }, to: 'stopping.signalled', actions: ['signalGroup stop'], context: { pid: PID } },
  { state: 'stopping.signalled', event: 'proc.spawnFailed', given: { pid: null }, to: 'stopped',
    actions: ['cancel stopTime', `record stopping→stopped (user) pid=null retries=0 message=${FAILURE.message}`] },
  { state: 'stopping.signalled', event: 'proc.exited', to: 'stopped', actions: ['cancel stopTime', `record stopping→stopped (user) pid=${PID} retries=0 code=1 expected=true`], context: { pid: null } },
  { state: 'stopping.signalled', event: 'proc.exited', why: 'the row into stopped carries the stop\'s cause', given: { stopCause: 'shutdown' },
    to: 'stopped', actions: ['cancel stopTime', `record stopping→stopped (shutdown) pid=${PID} retries=0 code=1 expected=true`] },
  // restart: stopping → stopped → starting in one step, each recorded
  { state: 'stopping.signalled', event: 'proc.exited', why: 'a queued start happens once the process is gone', given: { pendingStart: 'reload', stopCause: 'reload' }, send: exit(PID, null, 'SIGTERM'),
    to: 'starting.spawning',
    actions: ['cancel stopTime', `record stopping→stopped (reload) pid=${PID} retries=0 signal=SIGTERM expected=true`, 'record stopped→starting (reload) pid=null retries=0', 'spawn'],
    context: { pendingStart: null, pid: null, lastExit: null } },
  { state: 'stopping.signalled', event: 'proc.exited(stale)', to: 'stopping.signalled', actions: [], context: { pid: PID } },
  { state: 'stopping.signalled', event: 'after stopTime', to: 'stopping.killed', actions: ['cancel stopTime', 'signalGroup kill'] },

  // ── stopping.killed: SIGKILL sent, only the exit can follow ────────────────────────────────
  { state: 'stopping.killed', event: 'start', to: 'stopping.killed', actions: [], context: { pendingStart: 'user' } },
  { state: 'stopping.killed', event: 'stop', to: 'stopping.killed', actions: [] },
  { state: 'stopping.killed', event: 'restart', to: 'stopping.killed', actions: [], context: { pendingStart: 'user' } },
  { state: 'stopping.killed', event: 'spec.update', to: 'stopping.killed', actions: [], context: { spec: UPDATED } },
  { state: 'stopping.killed', event: 'adopt', to: 'stopping.killed', actions: [] },
  { state: 'stopping.killed', event: 'proc.spawned', why: 'stoptime is over: a process that appears now gets SIGKILL', given: { pid: null },
    to: 'stopping.killed', actions: ['signalGroup kill'], context: { pid: PID } },
  { state: 'stopping.killed', event: 'proc.spawnFailed', given: { pid: null }, to: 'stopped', actions: [`record stopping→stopped (user) pid=null retries=0 message=${FAILURE.message}`] },
  { state: 'stopping.killed', event: 'proc.exited', send: exit(PID, null, 'SIGKILL'), to: 'stopped', actions: [`record stopping→stopped (user) pid=${PID} retries=0 signal=SIGKILL expected=true`] },
  { state: 'stopping.killed', event: 'proc.exited(stale)', to: 'stopping.killed', actions: [] },

  // ── exited: rests until a user starts it ───────────────────────────────────────────────────
  { state: 'exited', event: 'start', to: 'starting.spawning', actions: ['record exited→starting (user) pid=null retries=0', 'spawn'], context: { lastExit: null } },
  { state: 'exited', event: 'stop', to: 'exited', actions: [] },
  { state: 'exited', event: 'restart', to: 'starting.spawning', actions: ['record exited→starting (user) pid=null retries=0', 'spawn'] },
  { state: 'exited', event: 'spec.update', to: 'exited', actions: [], context: { spec: UPDATED } },
  { state: 'exited', event: 'spec.update', why: 'a reload to autorestart always does not start a rested instance', send: { type: 'spec.update', spec: makeSpec({ ...SPEC, autorestart: 'always' }) },
    to: 'exited', actions: [], context: { spec: makeSpec({ ...SPEC, autorestart: 'always' }) } },
  { state: 'exited', event: 'adopt', to: 'exited', actions: [] },
  { state: 'exited', event: 'proc.spawned', to: 'exited', actions: [] },
  { state: 'exited', event: 'proc.spawnFailed', to: 'exited', actions: [] },
  { state: 'exited', event: 'proc.exited', to: 'exited', actions: [] },
  { state: 'exited', event: 'proc.exited(stale)', to: 'exited', actions: [] },

  // ── fatal: gave up; rests until a user starts it ───────────────────────────────────────────
  { state: 'fatal', event: 'start', to: 'starting.spawning', actions: ['record fatal→starting (user) pid=null retries=0', 'spawn'], context: { retries: 0, lastExit: null } },
  { state: 'fatal', event: 'stop', to: 'fatal', actions: [] },
  { state: 'fatal', event: 'restart', to: 'starting.spawning', actions: ['record fatal→starting (user) pid=null retries=0', 'spawn'], context: { retries: 0 } },
  { state: 'fatal', event: 'spec.update', to: 'fatal', actions: [], context: { spec: UPDATED } },
  { state: 'fatal', event: 'adopt', to: 'fatal', actions: [] },
  { state: 'fatal', event: 'proc.spawned', to: 'fatal', actions: [] },
  { state: 'fatal', event: 'proc.spawnFailed', to: 'fatal', actions: [] },
  { state: 'fatal', event: 'proc.exited', to: 'fatal', actions: [] },
  { state: 'fatal', event: 'proc.exited(stale)', to: 'fatal', actions: [] },
];

function step(row: Row) {
  const [next, actions] = transition(
    instanceMachine,
    snapshotIn(row.state, row.given),
    row.send ?? EVENT[row.event],
  );
  return { next, actions };
}

function title(row: Row): string {
  return `${row.state} × ${row.event}${row.why === undefined ? '' : ` (${row.why})`} → ${row.to}`;
}

/** Every leaf state node of a machine, as `parent.child`. */
function leaves(node: AnyStateNode, prefix = ''): string[] {
  const children = Object.values(node.states);
  if (children.length === 0) return [prefix];
  return children.flatMap((child) =>
    leaves(child, prefix === '' ? child.key : `${prefix}.${child.key}`),
  );
}

function nodesWithTimers(node: AnyStateNode, prefix = ''): string[] {
  const own = node.after.length > 0 ? [prefix] : [];
  return [
    ...own,
    ...Object.values(node.states).flatMap((child) =>
      nodesWithTimers(child, prefix === '' ? child.key : `${prefix}.${child.key}`),
    ),
  ];
}

describe('instance machine: states × events', () => {
  it('the table has a row for every state × event, and for the timer of every state that has one', () => {
    const pairs = new Set(TABLE.map((r) => `${r.state} × ${r.event}`));
    const expected = [
      ...STATES.flatMap((s) => EVENTS.map((e) => `${s} × ${e}`)),
      ...Object.entries(TIMERS).map(([s, e]) => `${s} × ${e}`),
    ];
    expect([...pairs].sort()).toEqual(expected.sort());
  });

  it('the table knows every state, timer and event of the machine', () => {
    expect(leaves(instanceMachine.root).sort()).toEqual([...STATES, ...TRANSIENT].sort());
    expect(nodesWithTimers(instanceMachine.root).sort()).toEqual(Object.keys(TIMERS).sort());
    const handled = instanceMachine.events.filter((e) => !e.startsWith('xstate.'));
    const columns = new Set(Object.values(EVENT).map((e) => e.type as string));
    for (const type of handled) expect(columns).toContain(type);
  });

  it('base rows (no variant) are unique per state × event', () => {
    const base = TABLE.filter((r) => r.why === undefined).map((r) => `${r.state} × ${r.event}`);
    expect(base.length).toBe(new Set(base).size);
  });

  describe.each(STATES)('%s', (state) => {
    for (const row of TABLE.filter((r) => r.state === state)) {
      it(title(row), () => {
        const { next, actions } = step(row);
        expect(keyOf(next.value)).toBe(row.to);
        expect(actions.map(describeAction)).toEqual(row.actions);
        if (row.context !== undefined) expect(next.context).toMatchObject(row.context);
        // `record` comes before any effect, and there is one for every change of a user-visible state
        const types = actions.map((a) => a.type);
        const firstEffect = types.findIndex((t) => ['spawn', 'signalGroup', 'watch'].includes(t));
        const firstRecord = types.indexOf('record');
        const from = state.split('.')[0];
        const to = row.to.split('.')[0];
        if (from !== to) {
          expect(firstRecord).toBeGreaterThanOrEqual(0);
          if (firstEffect >= 0) expect(firstRecord).toBeLessThan(firstEffect);
          const rows = actions
            .filter((a) => a.type === 'record')
            .map((a) => a.params as RecordParams);
          // the recorded rows chain from the state left to the state reached
          expect(rows[0]?.from).toBe(from);
          expect(rows.at(-1)?.to).toBe(to);
          for (let i = 1; i < rows.length; i++) expect(rows[i]!.from).toBe(rows[i - 1]!.to);
        } else {
          expect(firstRecord).toBe(-1);
        }
      });
    }
  });
});

describe('instance machine: the first step', () => {
  it('without a start cause it rests in stopped', () => {
    const [snapshot, actions] = initialTransition(instanceMachine, { name: 'web:0', spec: SPEC });
    expect(snapshot.value).toBe('stopped');
    expect(actions.map(describeAction)).toEqual([]);
  });

  it('with a start cause it records the start, then spawns', () => {
    const [snapshot, actions] = initialTransition(instanceMachine, {
      name: 'web:0',
      spec: SPEC,
      startCause: 'autostart',
    });
    expect(keyOf(snapshot.value)).toBe('starting.spawning');
    expect(actions.map(describeAction)).toEqual([
      'record stopped→starting (autostart) pid=null retries=0',
      'spawn',
    ]);
    expect(snapshot.context.pendingStart).toBeNull();
  });

  // retry counts continue across a daemon restart; boot.ts passes them for a start
  it('a replayed retry count survives the start it comes with', () => {
    const [snapshot, actions] = initialTransition(instanceMachine, {
      name: 'web:0',
      spec: SPEC,
      startCause: 'replay',
      retries: 2,
    });
    expect(actions.map(describeAction)).toEqual([
      'record stopped→starting (replay) pid=null retries=2',
      'spawn',
    ]);
    expect(snapshot.context.retries).toBe(2);
  });

  it('any other start cause begins the count again, whatever retries the input gives', () => {
    const [snapshot, actions] = initialTransition(instanceMachine, {
      name: 'web:0',
      spec: SPEC,
      startCause: 'autostart',
      retries: 2,
    });
    expect(actions.map(describeAction)).toEqual([
      'record stopped→starting (autostart) pid=null retries=0',
      'spawn',
    ]);
    expect(snapshot.context.retries).toBe(0);
  });
});

// ── timers, with a simulated clock ──────────────────────────────────────────────────────────

function run(input: Omit<InstanceInput, 'name' | 'spec'> & { spec?: ProgramSpec } = {}) {
  const clock = new SimulatedClock();
  const effects: string[] = [];
  const rows: RecordParams[] = [];
  let nextPid = 100;
  const machine = instanceMachine.provide({
    actions: {
      record: (_, params) => {
        rows.push(params);
        effects.push(`record ${params.from}→${params.to} (${params.cause})`);
      },
      spawn: () => {
        effects.push('spawn');
      },
      signalGroup: (_, params) => {
        effects.push(`signalGroup ${params.signal}`);
      },
      watch: (_, params) => {
        effects.push(`watch ${params.pid}`);
      },
    },
  });
  const actor = createActor(machine, {
    input: { name: 'web:0', spec: input.spec ?? SPEC, ...input },
    clock,
  });
  actor.start();
  const state = () => keyOf(actor.getSnapshot().value);
  const pid = () => actor.getSnapshot().context.pid;
  return {
    actor,
    clock,
    effects,
    rows,
    state,
    /** The spawn succeeds: a new pid. */
    spawned: () => {
      const p = nextPid++;
      actor.send({ type: 'proc.spawned', pid: p, atMs: clock.now() });
      return p;
    },
    /** The current process exits. */
    exits: (code: number | null, signal: string | null = null) => {
      const p = pid();
      if (p === null) throw new Error(`no process to exit in ${state()}`);
      actor.send({ type: 'proc.exited', exit: { pid: p, code, signal }, atMs: clock.now() });
    },
    /** `from→to (cause)` of every row recorded so far. */
    sequence: () => rows.map((r) => `${r.from}→${r.to} (${r.cause})`),
  };
}

describe('instance machine: timers', () => {
  // issue 7: three tight crash loops made the daemon deaf; the crash-loop throttle holds them back
  it('a crash loop restarts at once, then waits 0.1 s, 0.2 s … up to restartdelaymax; a minute-long run resets it', () => {
    const spec = makeSpec({
      ...SPEC,
      startTimeMs: 0,
      autorestart: 'always',
      restartDelayMaxMs: 300,
    });
    const t = run({ startCause: 'user', spec });
    const crash = () => {
      t.spawned();
      t.exits(1);
    };
    crash();
    expect(t.state()).toBe('starting.spawning');
    for (const wait of [100, 200, 300, 300]) {
      crash();
      expect(t.state()).toBe('backoff');
      t.clock.increment(wait - 1);
      expect(t.state()).toBe('backoff');
      t.clock.increment(1);
      expect(t.state()).toBe('starting.spawning');
    }
    t.spawned();
    t.clock.increment(60_000);
    t.exits(1);
    expect(t.state()).toBe('starting.spawning');
    expect(t.rows.filter((r) => r.to === 'backoff').map((r) => `${r.cause} ${r.waitMs}`)).toEqual([
      'crash-loop 100',
      'crash-loop 200',
      'crash-loop 300',
      'crash-loop 300',
    ]);
  });

  it("a stop during a crash-loop wait goes straight to stopped; a user's start starts at once", () => {
    const spec = makeSpec({ ...SPEC, startTimeMs: 0, autorestart: 'always' });
    const t = run({ startCause: 'user', spec });
    for (let i = 0; i < 2; i++) {
      t.spawned();
      t.exits(1);
    }
    expect(t.state()).toBe('backoff');
    t.actor.send({ type: 'start', cause: 'user' });
    expect(t.state()).toBe('starting.spawning');
    t.spawned();
    t.exits(1);
    t.spawned();
    t.exits(1);
    expect(t.state()).toBe('backoff');
    t.actor.send({ type: 'stop', cause: 'user' });
    expect(t.state()).toBe('stopped');
    expect(t.sequence().slice(-2)).toEqual([
      'exited→backoff (crash-loop)',
      'backoff→stopped (user)',
    ]);
  });

  it('starttime: running exactly when it has stayed up startTimeMs', () => {
    const t = run({ startCause: 'user' });
    t.spawned();
    t.clock.increment(99);
    expect(t.state()).toBe('starting.spawned');
    t.clock.increment(1);
    expect(t.state()).toBe('running');
    expect(t.sequence()).toEqual(['stopped→starting (user)', 'starting→running (timeout)']);
  });

  it('starttime 0: running as soon as the spawn is reported', () => {
    const t = run({ startCause: 'user', spec: makeSpec({ ...SPEC, startTimeMs: 0 }) });
    expect(t.state()).toBe('starting.spawning');
    t.spawned();
    expect(t.state()).toBe('running');
  });

  it('backoff waits 1 s, then 2 s, and startretries 2 makes the third failure fatal', () => {
    const t = run({ startCause: 'user' });
    t.spawned();
    t.clock.increment(50);
    t.exits(0); // before starttime: a failed start though 0 is an expected code
    expect(t.state()).toBe('backoff');

    t.clock.increment(999);
    expect(t.state()).toBe('backoff');
    expect(t.effects.filter((e) => e === 'spawn')).toHaveLength(1);
    t.clock.increment(1);
    expect(t.state()).toBe('starting.spawning');
    expect(t.effects.filter((e) => e === 'spawn')).toHaveLength(2);

    t.spawned();
    t.exits(null, 'SIGSEGV');
    t.clock.increment(1999);
    expect(t.state()).toBe('backoff');
    t.clock.increment(1);
    expect(t.state()).toBe('starting.spawning');

    t.actor.send({ type: 'proc.spawnFailed', failure: FAILURE });
    expect(t.state()).toBe('fatal');
    t.clock.increment(60_000);
    expect(t.state()).toBe('fatal');
    expect(t.effects.filter((e) => e === 'spawn')).toHaveLength(3);

    expect(t.sequence()).toEqual([
      'stopped→starting (user)',
      'starting→backoff (exit)',
      'backoff→starting (retry)',
      'starting→backoff (exit)',
      'backoff→starting (retry)',
      'starting→fatal (spawn-error)',
    ]);
    expect(t.rows.map((r) => r.retries)).toEqual([0, 1, 1, 2, 2, 2]);
    expect(t.rows.map((r) => [r.exitCode, r.signal, r.message])).toEqual([
      [null, null, null],
      [0, null, null],
      [null, null, null],
      [null, 'SIGSEGV', null],
      [null, null, null],
      [null, null, FAILURE.message],
    ]);
  });

  it('a flapping program: every failed try recorded, then fatal, then a user start tries again', () => {
    const t = run({ startCause: 'autostart' });
    for (let i = 0; i < 3; i++) {
      t.spawned();
      t.clock.increment(10);
      t.exits(1);
      t.clock.increment(3000); // longer than any backoff so far
    }
    expect(t.state()).toBe('fatal');
    t.actor.send({ type: 'start', cause: 'user' });
    t.spawned();
    t.clock.increment(100);
    expect(t.state()).toBe('running');
    expect(t.sequence()).toEqual([
      'stopped→starting (autostart)',
      'starting→backoff (exit)',
      'backoff→starting (retry)',
      'starting→backoff (exit)',
      'backoff→starting (retry)',
      'starting→fatal (exit)',
      'fatal→starting (user)',
      'starting→running (timeout)',
    ]);
  });

  it('a retry that reaches running resets the count: the next crash starts from 1 s again', () => {
    const t = run({ startCause: 'user' });
    t.spawned();
    t.exits(1);
    t.clock.increment(1000);
    t.spawned();
    t.clock.increment(100);
    expect(t.state()).toBe('running');
    expect(t.actor.getSnapshot().context.retries).toBe(0);
    t.exits(1); // unexpected: restarted at once, no backoff
    expect(t.state()).toBe('starting.spawning');
    t.spawned();
    t.exits(1);
    expect(t.state()).toBe('backoff');
    t.clock.increment(999);
    expect(t.state()).toBe('backoff');
    t.clock.increment(1);
    expect(t.state()).toBe('starting.spawning');
  });

  it('stoptime: SIGKILL to the group exactly stopTimeMs after the stop signal', () => {
    const t = run({ startCause: 'user' });
    t.spawned();
    t.clock.increment(100);
    t.actor.send({ type: 'stop', cause: 'user' });
    expect(t.effects.at(-1)).toBe('signalGroup stop');
    t.clock.increment(99);
    expect(t.state()).toBe('stopping.signalled');
    expect(t.effects).not.toContain('signalGroup kill');
    t.clock.increment(1);
    expect(t.state()).toBe('stopping.killed');
    expect(t.effects.at(-1)).toBe('signalGroup kill');
    t.exits(null, 'SIGKILL');
    expect(t.state()).toBe('stopped');
    expect(t.sequence()).toEqual([
      'stopped→starting (user)',
      'starting→running (timeout)',
      'running→stopping (user)',
      'stopping→stopped (user)',
    ]);
    expect(t.rows.at(-1)).toMatchObject({ signal: 'SIGKILL', pid: 100 });
  });

  it('an exit before stoptime cancels the SIGKILL', () => {
    const t = run({ startCause: 'user' });
    t.spawned();
    t.actor.send({ type: 'stop', cause: 'user' });
    t.clock.increment(50);
    t.exits(null, 'SIGTERM');
    t.clock.increment(10_000);
    expect(t.state()).toBe('stopped');
    expect(t.effects).not.toContain('signalGroup kill');
  });

  it('a stop in backoff goes straight to stopped, and the retry never comes', () => {
    const t = run({ startCause: 'user' });
    t.spawned();
    t.exits(1);
    t.actor.send({ type: 'stop', cause: 'user' });
    expect(t.state()).toBe('stopped');
    t.clock.increment(10_000);
    expect(t.state()).toBe('stopped');
    expect(t.effects.filter((e) => e.startsWith('signalGroup'))).toEqual([]);
    expect(t.sequence()).toEqual([
      'stopped→starting (user)',
      'starting→backoff (exit)',
      'backoff→stopped (user)',
    ]);
  });

  it('restart of a running instance: stopping → stopped → starting, in that order', () => {
    const t = run({ startCause: 'user' });
    const first = t.spawned();
    t.clock.increment(100);
    t.actor.send({ type: 'restart', cause: 'user' });
    t.actor.send(exit(STALE, 0)); // ignored
    expect(t.state()).toBe('stopping.signalled');
    t.exits(null, 'SIGTERM');
    expect(t.state()).toBe('starting.spawning');
    const second = t.spawned();
    expect(second).not.toBe(first);
    t.clock.increment(100);
    expect(t.state()).toBe('running');
    expect(t.sequence()).toEqual([
      'stopped→starting (user)',
      'starting→running (timeout)',
      'running→stopping (user)',
      'stopping→stopped (user)',
      'stopped→starting (user)',
      'starting→running (timeout)',
    ]);
    expect(t.effects).toEqual([
      'record stopped→starting (user)',
      'spawn',
      'record starting→running (timeout)',
      'record running→stopping (user)',
      'signalGroup stop',
      'record stopping→stopped (user)',
      'record stopped→starting (user)',
      'spawn',
      'record starting→running (timeout)',
    ]);
  });

  it('an adopted process is watched, and its exit is supervised like any other', () => {
    const t = run();
    t.actor.send({ type: 'adopt', pid: 4242, procStart: 99, startedAtMs: 0 });
    expect(t.state()).toBe('running');
    expect(t.effects).toEqual(['record stopped→running (adopted)', 'watch 4242']);
    t.exits(null); // an adopted process's status is unknown: unexpected
    expect(t.state()).toBe('starting.spawning');
  });

  it('a stop after a restart, while still stopping, leaves the instance stopped', () => {
    const t = run({ startCause: 'user' });
    t.spawned();
    t.clock.increment(100);
    t.actor.send({ type: 'restart', cause: 'user' });
    t.actor.send({ type: 'stop', cause: 'user' });
    t.exits(null, 'SIGTERM');
    expect(t.state()).toBe('stopped');
    expect(t.effects.filter((e) => e === 'spawn')).toHaveLength(1);
    expect(t.sequence()).toEqual([
      'stopped→starting (user)',
      'starting→running (timeout)',
      'running→stopping (user)',
      'stopping→stopped (user)',
    ]);
  });

  it('a replayed start that fails again goes on from the replayed count: fatal, not a new 1 s backoff', () => {
    const t = run({ startCause: 'replay', retries: 2 });
    t.spawned();
    t.exits(1);
    expect(t.state()).toBe('fatal');
    expect(t.sequence()).toEqual(['stopped→starting (replay)', 'starting→fatal (exit)']);
    expect(t.rows.map((r) => r.retries)).toEqual([2, 2]);
  });

  it('an autorestart: only the exited row carries the exit; the row into starting has no pid', () => {
    const t = run({ startCause: 'user' });
    const first = t.spawned();
    t.clock.increment(100);
    t.exits(null, 'SIGSEGV');
    expect(t.state()).toBe('starting.spawning');
    expect(
      t.rows.slice(2).map((r) => [`${r.from}→${r.to} (${r.cause})`, r.pid, r.exitCode, r.signal]),
    ).toEqual([
      ['running→exited (exit)', first, null, 'SIGSEGV'],
      ['exited→starting (exit)', null, null, null],
    ]);
    expect(t.effects.slice(-3)).toEqual([
      'record running→exited (exit)',
      'record exited→starting (exit)',
      'spawn',
    ]);
  });

  it('an exit that rests in exited is not restarted later by a reload to autorestart always', () => {
    const t = run({ startCause: 'user' });
    t.spawned();
    t.clock.increment(100);
    t.exits(0); // expected: rests
    expect(t.state()).toBe('exited');
    t.actor.send({ type: 'spec.update', spec: makeSpec({ ...SPEC, autorestart: 'always' }) });
    t.clock.increment(10_000);
    expect(t.state()).toBe('exited');
    expect(t.effects.filter((e) => e === 'spawn')).toHaveLength(1);
    expect(t.sequence().at(-1)).toBe('running→exited (exit)');
  });

  it('a restart: the row into stopped carries the exit, the row into starting does not', () => {
    const t = run({ startCause: 'user' });
    const first = t.spawned();
    t.clock.increment(100);
    t.actor.send({ type: 'restart', cause: 'reload' });
    t.exits(null, 'SIGTERM');
    expect(
      t.rows.slice(2).map((r) => [`${r.from}→${r.to} (${r.cause})`, r.pid, r.exitCode, r.signal]),
    ).toEqual([
      ['running→stopping (reload)', first, null, null],
      ['stopping→stopped (reload)', first, null, 'SIGTERM'],
      ['stopped→starting (reload)', null, null, null],
    ]);
  });

  it('a process that appears only after stoptime is killed, not just signalled', () => {
    const t = run({ startCause: 'user' });
    t.actor.send({ type: 'stop', cause: 'user' }); // still spawning: no pid yet
    t.clock.increment(100);
    expect(t.state()).toBe('stopping.killed');
    const late = t.spawned();
    expect(t.actor.getSnapshot().context.pid).toBe(late);
    expect(t.effects.filter((e) => e.startsWith('signalGroup'))).toEqual([
      'signalGroup stop',
      'signalGroup kill',
      'signalGroup kill',
    ]);
    t.exits(null, 'SIGKILL');
    expect(t.state()).toBe('stopped');
  });
});
