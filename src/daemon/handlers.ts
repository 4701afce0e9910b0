import { filter, firstValueFrom, type Observable } from 'rxjs';
import { followFile, tailFile } from './tail-file.js';
import type { CommandAction } from '../../machines/supervisor.machine.js';
import { parseSignal } from '../config/signals.js';
import { TaskmasterError } from '../domain/errors.js';
import { LIVE_STATES, type StoredEvent } from '../domain/types.js';
import { LOG_DEFAULT_LIMIT, type ActionResult, type ReloadChanges } from '../rpc/protocol.js';
import { stream, type Handlers } from '../rpc/server.js';
import type { Daemon } from './daemon.js';

/**
 * What each RPC method does to the daemon. start/stop/restart wait for the outcome of every
 * instance they reach, as supervisorctl does, and say it per instance.
 */
export function rpcHandlers(daemon: Daemon): Handlers {
  return {
    status: ({ names }) => daemon.status(names.length === 0 ? undefined : daemon.resolve(names)),
    start: ({ names, wait }) => control(daemon, 'start', names, wait),
    stop: ({ names, wait }) => control(daemon, 'stop', names, wait),
    restart: ({ names, wait }) => control(daemon, 'restart', names, wait),
    signal: ({ signal, names }) => signalInstances(daemon, signal, names),
    pid: ({ names }) => ({
      daemon: process.pid,
      instances:
        names.length === 0
          ? []
          : daemon.status(daemon.resolve(names)).map((s) => ({ name: s.name, pid: s.pid })),
    }),
    reload: () => reload(daemon),
    shutdown: () => {
      // after this reply is written: the connection stays open until everything has stopped
      setImmediate(() => void daemon.shutdown());
      return { pid: process.pid };
    },
    log: ({ names, limit, sinceMs, follow }) => {
      // programs removed from the config still have their history
      const selected = names.length === 0 ? undefined : new Set(daemon.resolveForLog(names));
      const history = daemon.logRows({
        ...(selected === undefined ? {} : { names: [...selected] }),
        limit: limit ?? LOG_DEFAULT_LIMIT,
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

async function control(
  daemon: Daemon,
  action: CommandAction,
  targets: readonly string[],
  wait: boolean,
): Promise<ActionResult[]> {
  const names = daemon.resolve(targets);
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
  const outcomes = send.map((name) => outcome(daemon.events$, action, name));
  if (send.length > 0) daemon.command(action, send);
  const done = wait
    ? await Promise.all(outcomes)
    : send.map((name) => ok(name, `${action === 'stop' ? 'stopping' : 'starting'}`));
  for (const r of done) results.set(r.name, r);
  return names.map((n) => results.get(n)!);
}

/**
 * The first transition that settles one instance's command. A start or restart counts from its
 * `starting` row (a restart passes through `stopped` first): `running` is success, a failed start
 * (`backoff`, `fatal`) or a stop by somebody else is failure, with the reason.
 */
function outcome(
  events$: Observable<StoredEvent>,
  action: CommandAction,
  name: string,
): Promise<ActionResult> {
  let started = action === 'stop';
  return firstValueFrom(
    events$.pipe(
      filter((e) => {
        if (e.name !== name) return false;
        if (action === 'stop') return e.to === 'stopped';
        if (e.to === 'starting') started = true;
        return started && ['running', 'backoff', 'fatal', 'stopped', 'exited'].includes(e.to);
      }),
    ),
  ).then((e) => {
    if (action === 'stop') return ok(name, 'stopped');
    if (e.to === 'running') return ok(name, action === 'restart' ? 'restarted' : 'started');
    if (e.cause === 'spawn-error')
      return failure(name, 'SPAWN_FAILED', `spawn error: ${e.message}`);
    if (e.to === 'stopped')
      return failure(name, 'NOT_RUNNING', `stopped (${e.cause}) before it was running`);
    return failure(name, 'SPAWN_FAILED', `exited too quickly (${exitText(e)})`);
  });
}

function exitText(e: StoredEvent): string {
  if (e.signal !== null) return `killed by ${e.signal}`;
  if (e.exitCode !== null) return `exit code ${e.exitCode}`;
  return 'exit status unknown';
}

function signalInstances(
  daemon: Daemon,
  signal: string,
  targets: readonly string[],
): ActionResult[] {
  const sig = parseSignal(signal);
  if (sig === null) {
    throw new TaskmasterError('BAD_PARAMS', `unknown signal: ${signal}`, {
      hint: 'use a name like HUP, SIGUSR1, or a number',
    });
  }
  return daemon.status(daemon.resolve(targets)).map((s) => {
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
  return stream(result, (flow) => followFile(file, chunk.offset, flow));
}

function reload(daemon: Daemon): ReloadChanges {
  const { plan, summary, revision } = daemon.reload();
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
