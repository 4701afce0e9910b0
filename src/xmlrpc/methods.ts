import { existsSync, truncateSync } from 'node:fs';
import { diff } from '../config/diff.js';
import { parseSignal } from '../config/signals.js';
import { TaskmasterError } from '../domain/errors.js';
import { instanceName } from '../domain/names.js';
import { instanceSpec } from '../domain/instance-spec.js';
import type { ProgramSpec, State, StoredEvent } from '../domain/types.js';
import { VERSION } from '../domain/version.js';
import type { Observable } from 'rxjs';
import type { ActionResult, InstanceStatus, TailEvent } from '../rpc/protocol.js';
import type { Flow, RequestContext, Streamed } from '../rpc/server.js';
import { Double, type XmlRpcValue } from './codec.js';
import { Fault, FAULTS, faultOf, type FaultName } from './faults.js';
import type { XmlRpcPort } from './port.js';
import {
  configInfo,
  processInfo,
  RUNNING_STATES,
  SIGNALLABLE_STATES,
  type Times,
} from './process-info.js';
import { readRange, tailRange } from './read-file.js';

/** The API version Supervisor 4.x serves (supervisor/rpcinterface.py API_VERSION). */
export const API_VERSION = '3.0';

type ParamType = 'string' | 'int' | 'boolean' | 'array' | 'struct';
type Param = { name: string; type: ParamType; optional?: true };

type Method = {
  help: string;
  params: readonly Param[];
  returns: ParamType;
  call: (args: XmlRpcValue[], context: RequestContext) => XmlRpcValue | Promise<XmlRpcValue>;
};

const str = (name: string): Param => ({ name, type: 'string' });
const int = (name: string): Param => ({ name, type: 'int' });
const wait: Param = { name: 'wait', type: 'boolean', optional: true };

/** What a name of Supervisor's form points at: one instance, or every instance of a program. */
type Target = { spec: ProgramSpec; index: number | null };

/**
 * Supervisor's `supervisor.*` and `system.*` methods over the daemon's port. Methods are looked
 * up by their exact full name in one table: nothing a client sends is ever followed as a path of
 * attributes (Supervisor's CVE-2017-11610), and no method runs a command or touches a file other
 * than an instance's own output files and the daemon's log.
 */
export class XmlRpcMethods {
  private readonly methods: ReadonlyMap<string, Method>;
  private readonly times = new Map<string, Times>();
  /**
   * The programs the last reloadConfig read (Supervisor's process_group_configs): what
   * addProcessGroup adds from. Null until then: the config in force.
   */
  private read: readonly ProgramSpec[] | null = null;

  constructor(private readonly port: XmlRpcPort) {
    this.methods = new Map([...this.supervisorMethods(), ...this.systemMethods()]);
    // laststart and laststop: from the state now, then from each transition
    for (const s of port.handlers.status({ names: [] }, internal) as InstanceStatus[]) {
      const at = s.since ?? 0;
      this.times.set(s.name, {
        start: at,
        stop: RUNNING_STATES.includes(s.state) ? 0 : at,
      });
    }
  }

  /** Keeps laststart/laststop; the daemon feeds it every transition. */
  transition(e: StoredEvent): void {
    const t = this.times.get(e.name) ?? { start: 0, stop: 0 };
    if (e.to === 'starting') t.start = e.atMs;
    else if (e.exitCode !== null || e.signal !== null || e.to === 'stopped') t.stop = e.atMs;
    this.times.set(e.name, t);
  }

  names(): string[] {
    return [...this.methods.keys()].sort();
  }

  /** The result of one call, or a Fault (never another exception for a client's mistake). */
  async call(name: string, args: XmlRpcValue[], context: RequestContext): Promise<XmlRpcValue> {
    const method = this.methods.get(name);
    if (method === undefined) throw new Fault('UNKNOWN_METHOD', name);
    checkParams(method.params, args);
    if (name.startsWith('supervisor.') && this.port.isStopping()) throw new Fault('SHUTDOWN_STATE');
    try {
      return await method.call(args, context);
    } catch (error) {
      if (error instanceof TaskmasterError) throw Fault.of(error);
      throw error;
    }
  }

  private supervisorMethods(): [string, Method][] {
    const h = this.port.handlers;
    const m: Record<string, Method> = {
      getAPIVersion: {
        help: 'Return the version of the RPC API used by supervisord',
        params: [],
        returns: 'string',
        call: () => API_VERSION,
      },
      getSupervisorVersion: {
        help: 'Return the version of taskmasterd (in place of the supervisor package)',
        params: [],
        returns: 'string',
        call: () => VERSION,
      },
      getIdentification: {
        help: 'Return identifying string of supervisord',
        params: [],
        returns: 'string',
        call: () => 'taskmasterd',
      },
      getState: {
        help: 'Return current state of supervisord as a struct',
        params: [],
        returns: 'struct',
        call: () => ({ statecode: 1, statename: 'RUNNING' }),
      },
      getPID: {
        help: 'Return the PID of supervisord',
        params: [],
        returns: 'int',
        call: () => process.pid,
      },
      readLog: {
        help: 'Read length bytes from the main log starting at offset',
        params: [int('offset'), int('length')],
        returns: 'string',
        call: ([offset, length]) => {
          const file = this.port.logFile();
          if (!existsSync(file)) throw new Fault('NO_FILE', file);
          return readRange(file, offset as number, length as number);
        },
      },
      clearLog: {
        help: 'Clear the main log.',
        params: [],
        returns: 'boolean',
        call: () => {
          if (!existsSync(this.port.logFile())) throw new Fault('NO_FILE');
          try {
            this.port.clearLog();
          } catch (error) {
            throw new Fault('FAILED', String(error));
          }
          return true;
        },
      },
      shutdown: {
        help: 'Shut down the supervisor process',
        params: [],
        returns: 'boolean',
        call: async (_, context) => {
          await h.shutdown({}, context);
          return true;
        },
      },
      restart: {
        help:
          'Restart the supervisor process. In taskmaster: the config file is reloaded, then every ' +
          'instance with autostart is restarted and every other one stopped (the daemon keeps ' +
          'its pid and its history)',
        params: [],
        returns: 'boolean',
        call: async (_, context) => {
          await h.reload({}, context);
          const all = this.port.programs();
          const names = (specs: ProgramSpec[]) => specs.map((p) => p.name);
          const auto = names(all.filter((p) => p.autostart));
          const manual = names(all.filter((p) => !p.autostart));
          if (auto.length > 0) await h.restart({ names: auto, wait: false }, context);
          if (manual.length > 0) await h.stop({ names: manual, wait: false }, context);
          return true;
        },
      },
      reloadConfig: {
        help: 'Reload the configuration (read and checked, not applied: see addProcessGroup)',
        params: [],
        returns: 'array',
        call: () => {
          let read: readonly ProgramSpec[];
          try {
            read = this.port.readPrograms();
          } catch (error) {
            if (error instanceof TaskmasterError) throw new Fault('CANT_REREAD', error.message);
            throw error;
          }
          this.read = read;
          const plan = diff(this.port.programs(), read);
          const of = (kind: string) => plan.filter((c) => c.kind === kind).map((c) => c.spec.name);
          return [[of('added'), of('changed'), of('removed')]];
        },
      },
      addProcessGroup: {
        help: 'Update the config for a running process from config file.',
        params: [str('name')],
        returns: 'boolean',
        call: ([name], context) => {
          const known = this.read ?? this.port.programs();
          const spec = known.find((p) => p.name === name);
          if (spec === undefined) throw new Fault('BAD_NAME', name as string);
          const active = this.port.programs();
          if (active.some((p) => p.name === name)) throw new Fault('ALREADY_ADDED', spec.name);
          // in the order of the file that has it
          const order = new Map(known.map((p, i) => [p.name, i]));
          const next = [...active, spec].sort(
            (a, b) => (order.get(a.name) ?? -1) - (order.get(b.name) ?? -1),
          );
          this.port.applyPrograms(next, `add=${spec.name}`, context);
          return true;
        },
      },
      removeProcessGroup: {
        help: 'Remove a stopped process from the active configuration.',
        params: [str('name')],
        returns: 'boolean',
        call: ([name], context) => {
          const active = this.port.programs();
          const spec = active.find((p) => p.name === name);
          if (spec === undefined) throw new Fault('BAD_NAME', name as string);
          const live = this.statuses(spec).filter((s) => !isStopped(s.state));
          if (live.length > 0) throw new Fault('STILL_RUNNING', spec.name);
          // what it removes can be added back from what was read (or what was in force)
          this.read ??= active;
          this.port.applyPrograms(
            active.filter((p) => p !== spec),
            `remove=${spec.name}`,
            context,
          );
          return true;
        },
      },
      getProcessInfo: {
        help: 'Get info about a process named name',
        params: [str('name')],
        returns: 'struct',
        call: ([name]) => {
          const { spec, index } = this.one(name as string);
          return this.info(spec, this.statuses(spec)[index]!);
        },
      },
      getAllProcessInfo: {
        help: 'Get info about all processes',
        params: [],
        returns: 'array',
        call: () => this.byName().map(({ spec, status }) => this.info(spec, status)),
      },
      getAllConfigInfo: {
        help: 'Get info about all available process configurations.',
        params: [],
        returns: 'array',
        call: () => {
          const active = new Set(this.port.programs().map((p) => p.name));
          return [...(this.read ?? this.port.programs())]
            .sort((a, b) => compare(a.name, b.name))
            .flatMap((spec) =>
              range(spec.numprocs).map((i) => configInfo(spec, i, active.has(spec.name))),
            );
        },
      },
      startProcess: {
        help: 'Start a process (name, group:name or group:*); wait for it to be fully started',
        params: [str('name'), wait],
        returns: 'boolean',
        call: ([name, w = true], context) => {
          const t = this.target(name as string);
          if (t.index === null) return this.startGroup(t.spec, w as boolean, context);
          return this.single('start', t, (names) =>
            h.start({ names, wait: w as boolean }, context),
          );
        },
      },
      startProcessGroup: {
        help: "Start all processes in the group named 'name'",
        params: [str('name'), wait],
        returns: 'array',
        call: ([name, w = true], context) =>
          this.startGroup(this.group(name as string), w as boolean, context),
      },
      startAllProcesses: {
        help: 'Start all processes listed in the configuration file',
        params: [wait],
        returns: 'array',
        call: ([w = true], context) =>
          this.many(
            'start',
            this.byPriority().filter((s) => !RUNNING_STATES.includes(s.status.state)),
            (names) => h.start({ names, wait: w as boolean }, context),
          ),
      },
      stopProcess: {
        help: 'Stop a process named by name (or group:name, group:*); wait for it to be stopped',
        params: [str('name'), wait],
        returns: 'boolean',
        call: ([name, w = true], context) => {
          const t = this.target(name as string);
          if (t.index === null) return this.stopGroup(t.spec, w as boolean, context);
          return this.single('stop', t, (names) => h.stop({ names, wait: w as boolean }, context));
        },
      },
      stopProcessGroup: {
        help: "Stop all processes in the process group named 'name'",
        params: [str('name'), wait],
        returns: 'array',
        call: ([name, w = true], context) =>
          this.stopGroup(this.group(name as string), w as boolean, context),
      },
      stopAllProcesses: {
        help: 'Stop all processes in the process list',
        params: [wait],
        returns: 'array',
        call: ([w = true], context) =>
          this.many(
            'stop',
            this.byPriority().filter((s) => RUNNING_STATES.includes(s.status.state)),
            (names) => h.stop({ names, wait: w as boolean }, context),
          ),
      },
      signalProcess: {
        help: "Send an arbitrary UNIX signal to the process named by name ('HUP' or '1')",
        params: [str('name'), str('signal')],
        returns: 'boolean',
        call: ([name, signal], context) => {
          const t = this.target(name as string);
          if (t.index === null) return this.signalGroup([t.spec], signal as string, context);
          const sig = knownSignal(signal as string);
          return this.single('signal', t, (names) => h.signal({ signal: sig, names }, context));
        },
      },
      signalProcessGroup: {
        help: "Send a signal to all processes in the group named 'name'",
        params: [str('name'), str('signal')],
        returns: 'array',
        call: ([name, signal], context) =>
          this.signalGroup([this.group(name as string)], signal as string, context),
      },
      signalAllProcesses: {
        help: 'Send a signal to all processes in the process list',
        params: [str('signal')],
        returns: 'array',
        call: ([signal], context) =>
          this.signalGroup(this.port.programs(), signal as string, context),
      },
      readProcessStdoutLog: {
        help: "Read length bytes from name's stdout log starting at offset",
        params: [str('name'), int('offset'), int('length')],
        returns: 'string',
        call: ([name, offset, length]) =>
          readRange(this.outputFile(name as string, 'stdout'), offset as number, length as number),
      },
      readProcessStderrLog: {
        help: "Read length bytes from name's stderr log starting at offset",
        params: [str('name'), int('offset'), int('length')],
        returns: 'string',
        call: ([name, offset, length]) =>
          readRange(this.outputFile(name as string, 'stderr'), offset as number, length as number),
      },
      tailProcessStdoutLog: {
        help: 'Tail the stdout log: [string bytes, int offset, bool overflow]',
        params: [str('name'), int('offset'), int('length')],
        returns: 'array',
        call: ([name, offset, length]) =>
          this.tail(name as string, 'stdout', offset as number, length as number),
      },
      tailProcessStderrLog: {
        help: 'Tail the stderr log: [string bytes, int offset, bool overflow]',
        params: [str('name'), int('offset'), int('length')],
        returns: 'array',
        call: ([name, offset, length]) =>
          this.tail(name as string, 'stderr', offset as number, length as number),
      },
      clearProcessLogs: {
        help: 'Clear the stdout and stderr logs for the named process',
        params: [str('name')],
        returns: 'boolean',
        call: ([name]) => {
          const { spec, index } = this.one(name as string);
          clearOutput(spec, index);
          return true;
        },
      },
      clearAllProcessLogs: {
        help: 'Clear all process log files',
        params: [],
        returns: 'array',
        call: () =>
          this.byPriority().map(({ spec, status }) => {
            try {
              clearOutput(spec, status.index);
              return result(spec.name, status.index, 'SUCCESS', 'OK');
            } catch (error) {
              const f = error instanceof Fault ? error : new Fault('FAILED', String(error));
              return result(spec.name, status.index, f.fault, f.message);
            }
          }),
      },
      sendProcessStdin: {
        help: 'Not served: taskmaster gives its children no stdin pipe',
        params: [str('name'), str('chars')],
        returns: 'boolean',
        call: () => {
          throw new Fault(
            'FAILED',
            'taskmaster gives its children no stdin pipe (they read /dev/null and write their files directly)',
          );
        },
      },
      sendRemoteCommEvent: {
        help: 'Not served: taskmaster has no event listeners',
        params: [str('type'), str('data')],
        returns: 'boolean',
        call: () => {
          throw new Fault('FAILED', 'taskmaster has no event listener processes to send events to');
        },
      },
    };
    // the older names Supervisor still answers to
    m.getVersion = m.getAPIVersion!;
    m.readMainLog = m.readLog!;
    m.readProcessLog = m.readProcessStdoutLog!;
    m.tailProcessLog = m.tailProcessStdoutLog!;
    m.clearProcessLog = m.clearProcessLogs!;
    return Object.entries(m).map(([k, v]) => [`supervisor.${k}`, v]);
  }

  private systemMethods(): [string, Method][] {
    const lookup = (name: XmlRpcValue | undefined) => {
      const method = this.methods.get(name as string);
      if (method === undefined) throw new Fault('SIGNATURE_UNSUPPORTED');
      return method;
    };
    const m: Record<string, Method> = {
      listMethods: {
        help: 'Return an array listing the available method names',
        params: [],
        returns: 'array',
        call: () => this.names(),
      },
      methodHelp: {
        help: "Return a string showing the method's documentation",
        params: [str('name')],
        returns: 'string',
        call: ([name]) => helpText(lookup(name)),
      },
      methodSignature: {
        help: 'Return an array describing the method signature: [rtype, ptype, ptype...]',
        params: [str('name')],
        returns: 'array',
        call: ([name]) => {
          const method = lookup(name);
          return [method.returns, ...method.params.map((p) => p.type)];
        },
      },
      multicall: {
        help: 'Process an array of calls, and return an array of results',
        params: [{ name: 'calls', type: 'array' }],
        returns: 'array',
        call: async ([calls], context) => {
          const out: XmlRpcValue[] = [];
          for (const c of calls as XmlRpcValue[]) out.push(await this.oneOfMany(c, context));
          return out;
        },
      },
    };
    return Object.entries(m).map(([k, v]) => [`system.${k}`, v]);
  }

  private async oneOfMany(c: XmlRpcValue, context: RequestContext): Promise<XmlRpcValue> {
    try {
      if (!isStruct(c) || typeof c.methodName !== 'string') {
        throw new Fault('INCORRECT_PARAMETERS', 'No methodName');
      }
      if (c.methodName === 'system.multicall') {
        throw new Fault('INCORRECT_PARAMETERS', 'Recursive system.multicall forbidden');
      }
      const params = c.params ?? [];
      if (!Array.isArray(params)) throw new Fault('INCORRECT_PARAMETERS', 'params is not an array');
      return [await this.call(c.methodName, params, context)];
    } catch (error) {
      const f = error instanceof Fault ? error : new Fault('FAILED', String(error));
      return { faultCode: f.code, faultString: f.message };
    }
  }

  // ---- names, Supervisor's way: `group:name`, `group:*`, and here `group` for the program ----

  private target(name: string): Target {
    const colon = name.indexOf(':');
    const group = colon < 0 ? name : name.slice(0, colon);
    const proc = colon < 0 ? null : name.slice(colon + 1);
    const spec = this.port.programs().find((p) => p.name === group);
    if (spec === undefined) throw new Fault('BAD_NAME', name);
    // Supervisor reads a bare `web` as group web, process web; taskmaster's processes are
    // numbered: it is the program, as in tm, and its one instance when it has one (as a
    // Supervisor program of numprocs 1 has one process named after it)
    if (proc === null) return { spec, index: spec.numprocs === 1 ? 0 : null };
    if (proc === '' || proc === '*') return { spec, index: null };
    if (/^\d+$/.test(proc) && Number(proc) < spec.numprocs) return { spec, index: Number(proc) };
    throw new Fault('BAD_NAME', name);
  }

  /** One instance: `web:0`, or `web` when web has a single one. */
  private one(name: string): { spec: ProgramSpec; index: number } {
    const t = this.target(name);
    if (t.index === null) throw new Fault('BAD_NAME', name);
    return { spec: t.spec, index: t.index };
  }

  private group(name: string): ProgramSpec {
    const spec = this.port.programs().find((p) => p.name === name);
    if (spec === undefined) throw new Fault('BAD_NAME', name);
    return spec;
  }

  private statuses(spec: ProgramSpec): InstanceStatus[] {
    const names = range(spec.numprocs).map((i) => instanceName(spec.name, i));
    return this.port.handlers.status({ names }, internal) as InstanceStatus[];
  }

  /** Every instance, programs by priority (then the file's order), as Supervisor starts them. */
  private byPriority(): { spec: ProgramSpec; status: InstanceStatus }[] {
    const specs = [...this.port.programs()].sort((a, b) => a.priority - b.priority);
    return specs.flatMap((spec) => this.statuses(spec).map((status) => ({ spec, status })));
  }

  /** Every instance, programs by name (getAllProcessInfo's order), instances by number. */
  private byName(): { spec: ProgramSpec; status: InstanceStatus }[] {
    const specs = [...this.port.programs()].sort((a, b) => compare(a.name, b.name));
    return specs.flatMap((spec) => this.statuses(spec).map((status) => ({ spec, status })));
  }

  private info(spec: ProgramSpec, status: InstanceStatus): Record<string, XmlRpcValue> {
    const times = this.times.get(status.name) ?? { start: 0, stop: 0 };
    return processInfo(status, spec, times, Date.now());
  }

  // ---- actions, through the shared handlers (their audit rows name this client) ----

  private async single(
    verb: Verb,
    t: Target,
    act: (names: string[]) => unknown,
  ): Promise<XmlRpcValue> {
    const name = instanceName(t.spec.name, t.index!);
    const [r] = (await act([name])) as ActionResult[];
    if (r === undefined || r.ok) return true;
    throw actionFault(verb, r);
  }

  private async many(
    verb: Verb,
    targets: { spec: ProgramSpec; status: InstanceStatus }[],
    act: (names: string[]) => unknown,
  ): Promise<XmlRpcValue> {
    if (targets.length === 0) return [];
    const results = (await act(targets.map((t) => t.status.name))) as ActionResult[];
    return results.map((r, i) => {
      const { spec, status } = targets[i]!;
      if (r.ok) return result(spec.name, status.index, 'SUCCESS', 'OK');
      const f = actionFault(verb, r);
      return result(spec.name, status.index, f.fault, f.message);
    });
  }

  private startGroup(spec: ProgramSpec, w: boolean, context: RequestContext) {
    const targets = this.statuses(spec)
      .filter((s) => !RUNNING_STATES.includes(s.state))
      .map((status) => ({ spec, status }));
    return this.many('start', targets, (names) =>
      this.port.handlers.start({ names, wait: w }, context),
    );
  }

  private stopGroup(spec: ProgramSpec, w: boolean, context: RequestContext) {
    const targets = this.statuses(spec)
      .filter((s) => RUNNING_STATES.includes(s.state))
      .map((status) => ({ spec, status }));
    return this.many('stop', targets, (names) =>
      this.port.handlers.stop({ names, wait: w }, context),
    );
  }

  private signalGroup(specs: readonly ProgramSpec[], signal: string, context: RequestContext) {
    const targets = specs.flatMap((spec) =>
      this.statuses(spec)
        .filter((s) => SIGNALLABLE_STATES.includes(s.state))
        .map((status) => ({ spec, status })),
    );
    const sig = parseSignal(signal);
    if (sig === null) {
      return targets.map(({ spec, status }) =>
        result(spec.name, status.index, 'BAD_SIGNAL', `BAD_SIGNAL: ${signal}`),
      );
    }
    return this.many('signal', targets, (names) =>
      this.port.handlers.signal({ signal: sig, names }, context),
    );
  }

  // ---- output files: only an instance's own ----

  /** For /logtail: the end of an instance's file, then what is appended (the shared tail). */
  logtail(
    name: string,
    stderr: boolean,
    bytes: number,
  ): { text: string; events: (flow: Flow) => Observable<TailEvent> } {
    const { spec, index } = this.one(name);
    const file = spec[stderr ? 'stderr' : 'stdout'];
    if (file === null || !existsSync(file)) throw new Fault('NO_FILE', file ?? 'none');
    const params = { name: instanceName(spec.name, index), stderr, bytes, follow: true };
    const r = this.port.handlers.tail(params, internal) as Streamed<{ text: string }>;
    const { events } = r;
    return {
      text: r.initial.text,
      events: (flow) =>
        (typeof events === 'function' ? events(flow) : events) as Observable<TailEvent>,
    };
  }

  private outputFile(name: string, channel: 'stdout' | 'stderr'): string {
    const { spec, index } = this.one(name);
    const file = instanceSpec(spec, index)[channel];
    if (file === null || !existsSync(file)) throw new Fault('NO_FILE', file ?? 'none');
    return file;
  }

  private tail(
    name: string,
    channel: 'stdout' | 'stderr',
    offset: number,
    length: number,
  ): XmlRpcValue {
    const { spec, index } = this.one(name);
    const file = instanceSpec(spec, index)[channel];
    if (file === null || !existsSync(file)) return ['', 0, false];
    return tailRange(file, offset, length);
  }
}

type Verb = 'start' | 'stop' | 'signal';

/** Who asks, for the handlers of calls the endpoint makes for itself (reads only). */
const internal: RequestContext = { peer: 'xmlrpc', clientName: 'xmlrpc' };

/** A start's failure in Supervisor's words: a spawn error, or an exit before it was running. */
function actionFault(verb: Verb, r: ActionResult): Fault {
  const extra = `${r.name}: ${r.message}`;
  const code = r.code ?? 'INTERNAL';
  if (verb === 'start' && (code === 'SPAWN_FAILED' || code === 'NOT_RUNNING')) {
    return new Fault(
      r.message.startsWith('spawn error') ? 'SPAWN_ERROR' : 'ABNORMAL_TERMINATION',
      extra,
    );
  }
  return new Fault(faultOf(code), extra);
}

function result(
  group: string,
  index: number,
  fault: FaultName,
  description: string,
): Record<string, XmlRpcValue> {
  return { name: String(index), group, status: FAULTS[fault], description };
}

function knownSignal(signal: string): string {
  const sig = parseSignal(signal);
  if (sig === null) throw new Fault('BAD_SIGNAL', signal);
  return sig;
}

function isStopped(state: State): boolean {
  return state === 'stopped' || state === 'exited' || state === 'fatal';
}

/** Empties an instance's output files (they are the only files a client can clear). */
function clearOutput(program: ProgramSpec, index: number): void {
  const spec = instanceSpec(program, index);
  for (const file of new Set([spec.stdout, spec.stderr])) {
    if (file === null || !existsSync(file)) continue;
    try {
      // the child keeps its O_APPEND descriptor: its next write lands at the new end, 0
      truncateSync(file, 0);
    } catch (error) {
      const why = (error as NodeJS.ErrnoException).code ?? String(error);
      throw new Fault('FAILED', `${instanceName(spec.name, index)}: ${file}: ${why}`);
    }
  }
}

function checkParams(params: readonly Param[], args: XmlRpcValue[]): void {
  const required = params.filter((p) => p.optional !== true).length;
  if (args.length < required || args.length > params.length) {
    throw new Fault(
      'INCORRECT_PARAMETERS',
      `expected ${required === params.length ? required : `${required} to ${params.length}`} params, got ${args.length}`,
    );
  }
  args.forEach((arg, i) => {
    const p = params[i]!;
    if (!isOfType(arg, p.type)) {
      throw new Fault('INCORRECT_PARAMETERS', `${p.name} must be ${article(p.type)} ${p.type}`);
    }
  });
}

function isOfType(v: XmlRpcValue, type: ParamType): boolean {
  switch (type) {
    case 'string':
      return typeof v === 'string';
    case 'int':
      return typeof v === 'number' && Number.isInteger(v);
    case 'boolean':
      return typeof v === 'boolean';
    case 'array':
      return Array.isArray(v);
    case 'struct':
      return isStruct(v);
  }
}

function isStruct(v: XmlRpcValue): v is { [key: string]: XmlRpcValue } {
  return (
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    !(v instanceof Date) &&
    !(v instanceof Double) &&
    !Buffer.isBuffer(v)
  );
}

function article(type: ParamType): string {
  return type === 'array' || type === 'int' ? 'an' : 'a';
}

/** A method's help in Supervisor's docstring form, whose @param/@return lines clients parse. */
function helpText(method: Method): string {
  const params = method.params.map((p) => `@param ${p.type} ${p.name}`);
  return [method.help, '', ...params, `@return ${method.returns} result`].join('\n');
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
