import { filter, type Observable, type Subscription } from 'rxjs';
import { followFile, tailFile } from './tail-file.js';
import type { CommandAction } from '../../machines/supervisor.machine.js';
import { parseSignal } from '../config/signals.js';
import { TaskmasterError } from '../domain/errors.js';
import { LIVE_STATES, type ProgramSpec, type StoredEvent } from '../domain/types.js';
import {
  defaultLogLimit,
  type ActionResult,
  type ControlVerb,
  type ReloadChanges,
} from '../rpc/protocol.js';
import { stream, type Handlers, type RequestContext } from '../rpc/server.js';
import { argsText, audit, type Audit } from './audit.js';
import type { Daemon } from './daemon.js';

/**
 * What each RPC method does to the daemon. start/stop/restart wait for the outcome of every
 * instance they reach, as supervisorctl does, and say it per instance. Every control action is
 * on record in the event log, with who asked (`context`), before it is acted on; its outcome
 * after. The handlers take plain params and a plain context, so that any endpoint can serve
 * them.
 */
export function rpcHandlers(daemon: Daemon): Handlers {
  const record = (context: RequestContext, verb: ControlVerb, args: string | null) =>
    audit((note) => daemon.note(note), context, verb, args);
  const controlled =
    (action: CommandAction) =>
    ({ names, wait }: { names: string[]; wait: boolean }, context: RequestContext) =>
      perInstance(
        record(context, action, argsText({ names, wait })),
        () => ({ names: daemon.resolve(names) }),
        (target) => control(daemon, action, target.names, wait),
      );
  return {
    status: ({ names }) => daemon.status(names.length === 0 ? undefined : daemon.resolve(names)),
    start: controlled('start'),
    stop: controlled('stop'),
    restart: controlled('restart'),
    signal: ({ signal, names }, context) =>
      perInstance(
        record(context, 'signal', argsText({ signal, names })),
        () => ({ sig: knownSignal(signal), names: daemon.resolve(names) }),
        (target) => signalInstances(daemon, target.sig, target.names),
      ),
    pid: ({ names }) => ({
      daemon: process.pid,
      instances:
        names.length === 0
          ? []
          : daemon.status(daemon.resolve(names)).map((s) => ({ name: s.name, pid: s.pid })),
    }),
    reload: (_, context) => {
      const rows = record(context, 'reload', null);
      rows.asked([null]);
      let changes: ReloadChanges;
      try {
        changes = reload(daemon);
      } catch (error) {
        rows.failed([null], error);
        throw error;
      }
      rows.ok(`revision ${changes.revision}: ${changes.summary}`);
      return changes;
    },
    shutdown: (_, context) => {
      const rows = record(context, 'shutdown', null);
      rows.asked([null]);
      // after this reply is written: the connection stays open until everything has stopped
      setImmediate(() => {
        void daemon.shutdown();
        rows.ok('stopping every instance');
      });
      return { pid: process.pid };
    },
    log: ({ names, limit, sinceMs, follow }) => {
      // programs removed from the config still have their history
      const selected = names.length === 0 ? undefined : new Set(daemon.resolveForLog(names));
      const history = daemon.logRows({
        ...(selected === undefined ? {} : { names: [...selected] }),
        limit: limit ?? defaultLogLimit(follow),
        ...(sinceMs === null ? {} : { sinceMs }),
      });
      if (!follow) return history;
      const live = daemon.journal$.pipe(
        filter((e) => e.seq > (history.at(-1)?.seq ?? 0)),
        filter((e) => selected === undefined || (e.name !== null && selected.has(e.name))),
      );
      return stream(history, live);
    },
    tail: ({ name, stderr, bytes, follow }) => tail(daemon, name, stderr, bytes, follow),
    names: () => ({
      programs: daemon.currentConfig.programs.map((p) => ({ name: p.name, numprocs: p.numprocs })),
    }),
    testmail: () => daemon.testMail(),
  };
}

/**
 * An action on instances, on record: `resolve` finds the instances (a failure there, such as an
 * unknown name, is one row with no name), each gets its `asked` row, then `act` runs, and each
 * gets the row of its outcome.
 */
async function perInstance<T extends { names: string[] }>(
  rows: Audit,
  resolve: () => T,
  act: (target: T) => ActionResult[] | Promise<ActionResult[]>,
): Promise<ActionResult[]> {
  let target: T;
  try {
    target = resolve();
  } catch (error) {
    rows.asked([null]);
    rows.failed([null], error);
    throw error;
  }
  rows.asked(target.names);
  let results: ActionResult[];
  try {
    results = await act(target);
  } catch (error) {
    rows.failed(target.names, error);
    throw error;
  }
  rows.done(results);
  return results;
}

/** The canonical name of a signal a user typed (`HUP`, `sigusr1`, `9`), or BAD_PARAMS. */
function knownSignal(signal: string): string {
  const sig = parseSignal(signal);
  if (sig === null) {
    throw new TaskmasterError('BAD_PARAMS', `unknown signal: ${signal}`, {
      hint: 'use a name like HUP, SIGUSR1, or a number',
    });
  }
  return sig;
}

async function control(
  daemon: Daemon,
  action: CommandAction,
  names: readonly string[],
  wait: boolean,
): Promise<ActionResult[]> {
  const results = new Map<string, ActionResult>();
  const send: string[] = [];
  for (const name of names) {
    // the instance's own table says whether the command would do anything (a crash-loop wait
    // takes a start, a failed start's backoff does not)
    if (action === 'restart' || daemon.accepts(name, action)) {
      send.push(name);
    } else if (action === 'start') {
      results.set(name, failure(name, 'ALREADY_STARTED', 'already started'));
    } else {
      results.set(name, failure(name, 'NOT_RUNNING', 'not running'));
    }
  }
  // subscribed before the command is sent, so that no outcome can slip past
  const settled = wait ? outcomes(daemon.events$, action, send) : null;
  if (send.length > 0) daemon.command(action, send);
  const done =
    settled === null
      ? send.map((name) => ok(name, `${action === 'stop' ? 'stopping' : 'starting'}`))
      : await settled;
  for (const r of done) results.set(r.name, r);
  return names.map((n) => results.get(n)!);
}

/**
 * The first transition that settles each instance's command, all heard through one
 * subscription: a subscription per instance would hand every event of a `start all` of a
 * thousand instances to a thousand filters. A start or restart counts from its `starting` row
 * (a restart passes through `stopped` first): `running` is success, a failed start (`backoff`,
 * `fatal`) or a stop by somebody else is failure, with the reason.
 */
function outcomes(
  events$: Observable<StoredEvent>,
  action: CommandAction,
  names: readonly string[],
): Promise<ActionResult[]> {
  if (names.length === 0) return Promise.resolve([]);
  return new Promise((resolve, reject) => {
    const waiting = new Set(names);
    const started = new Set<string>();
    const results = new Map<string, ActionResult>();
    const subscription: Subscription = events$.subscribe({
      next: (e) => {
        if (!waiting.has(e.name)) return;
        if (action !== 'stop' && e.to === 'starting') started.add(e.name);
        const result = settles(action, e, started.has(e.name));
        if (result === null) return;
        waiting.delete(e.name);
        results.set(e.name, result);
        if (waiting.size > 0) return;
        subscription.unsubscribe();
        resolve(names.map((n) => results.get(n)!));
      },
      complete: () =>
        reject(
          new TaskmasterError('SHUTTING_DOWN', `the daemon stopped before ${action} was done`),
        ),
    });
  });
}

/** What `e` says of the command on its instance, or null when it does not settle it yet. */
function settles(action: CommandAction, e: StoredEvent, hasStarted: boolean): ActionResult | null {
  const { name } = e;
  if (action === 'stop') return e.to === 'stopped' ? ok(name, 'stopped') : null;
  if (!hasStarted || !SETTLING.includes(e.to)) return null;
  if (e.to === 'running') return ok(name, action === 'restart' ? 'restarted' : 'started');
  if (e.cause === 'spawn-error') return failure(name, 'SPAWN_FAILED', `spawn error: ${e.message}`);
  if (e.to === 'stopped')
    return failure(name, 'NOT_RUNNING', `stopped (${e.cause}) before it was running`);
  return failure(name, 'SPAWN_FAILED', `exited too quickly (${exitText(e)})`);
}

const SETTLING: readonly StoredEvent['to'][] = ['running', 'backoff', 'fatal', 'stopped', 'exited'];

function exitText(e: StoredEvent): string {
  if (e.signal !== null) return `killed by ${e.signal}`;
  if (e.exitCode !== null) return `exit code ${e.exitCode}`;
  return 'exit status unknown';
}

function signalInstances(daemon: Daemon, sig: string, names: readonly string[]): ActionResult[] {
  return daemon.status(names).map((s) => {
    if (s.pid === null || !LIVE_STATES.includes(s.state)) {
      return failure(s.name, 'NOT_RUNNING', 'not running');
    }
    try {
      process.kill(s.pid, sig);
      return ok(s.name, `signalled ${sig}`);
    } catch (error) {
      return failure(
        s.name,
        'NOT_RUNNING',
        `cannot signal pid ${s.pid}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      );
    }
  });
}

function tail(daemon: Daemon, target: string, stderr: boolean, bytes: number, follow: boolean) {
  const names = daemon.resolve([target]);
  if (names.length !== 1) {
    throw new TaskmasterError('BAD_PARAMS', `tail: name one instance, like ${names[0] ?? 'web:0'}`);
  }
  const name = names[0]!;
  const spec = daemon.specOf(name);
  const stream_ = stderr ? 'stderr' : 'stdout';
  const file = stderr ? spec.stderr : spec.stdout;
  if (file === null) {
    throw new TaskmasterError(
      'NO_OUTPUT_FILE',
      `${name}: ${stream_} is discarded, there is nothing to tail`,
      {
        hint: `set programs.${spec.name}.${stream_} to a file in the config, then reload`,
      },
    );
  }
  let chunk;
  try {
    chunk = tailFile(file, bytes);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') {
      // the file is there but cannot be read (a folder, EACCES, EIO): not a bug of the daemon
      throw new TaskmasterError('TAIL_FAILED', `cannot read ${file}: ${code ?? String(error)}`, {
        hint: 'check the file and its folder (permissions, the disk), then tail again',
        cause: error,
      });
    }
    // not written yet: nothing to show, and following starts at its beginning
    chunk = { text: '', offset: 0 };
  }
  const result = { name, file, text: chunk.text };
  if (!follow) return result;
  // paced by the client: read only as fast as its connection takes it
  return stream(result, (flow) => followFile(file, chunk.offset, flow, daemon.rotations$));
}

/** Applies the config file, or `programs` in place of those in force (XML-RPC's add/remove). */
export function reload(daemon: Daemon, programs?: readonly ProgramSpec[]): ReloadChanges {
  const { plan, summary, revision } = daemon.reload(programs);
  const of = (pred: (c: (typeof plan)[number]) => boolean) =>
    plan.filter(pred).map((c) => c.spec.name);
  return {
    summary,
    revision,
    added: of((c) => c.kind === 'added'),
    removed: of((c) => c.kind === 'removed'),
    restarted: of((c) => c.kind === 'changed' && c.restart),
    updated: of((c) => c.kind === 'changed' && !c.restart),
  };
}

function ok(name: string, message: string): ActionResult {
  return { name, ok: true, message, code: null };
}

function failure(name: string, code: ActionResult['code'], message: string): ActionResult {
  return { name, ok: false, message, code };
}
