import { constants } from 'node:os';
import type { ProgramSpec, State } from '../domain/types.js';
import { instanceSpec } from '../domain/instance-spec.js';
import type { InstanceStatus } from '../rpc/protocol.js';
import type { XmlRpcValue } from './codec.js';

/** Supervisor's process state codes (supervisor/states.py), for taskmaster's states of the same name. */
export const STATE_CODES: Record<State, number> = {
  stopped: 0,
  starting: 10,
  running: 20,
  backoff: 30,
  stopping: 40,
  exited: 100,
  fatal: 200,
};

/** Supervisor's RUNNING_STATES: what a start skips and a stop acts on. */
export const RUNNING_STATES: readonly State[] = ['running', 'backoff', 'starting'];
/** Supervisor's SIGNALLABLE_STATES. */
export const SIGNALLABLE_STATES: readonly State[] = ['running', 'starting', 'stopping'];

/** When each instance last started and last stopped (epoch ms), as Supervisor's laststart/laststop. */
export type Times = { start: number; stop: number };

/** Supervisor's getProcessInfo struct of one instance: `web:3` is group `web`, name `3`. */
export function processInfo(
  s: InstanceStatus,
  spec: ProgramSpec,
  times: Times,
  nowMs: number,
): Record<string, XmlRpcValue> {
  const own = instanceSpec(spec, s.index);
  const start = seconds(times.start);
  const stop = seconds(times.stop);
  const now = seconds(nowMs);
  const info = {
    name: String(s.index),
    group: s.program,
    start,
    stop,
    now,
    state: STATE_CODES[s.state],
    statename: s.state.toUpperCase(),
    spawnerr: s.spawnerror ?? '',
    exitstatus: s.exitcode ?? 0,
    logfile: own.stdout ?? '',
    stdout_logfile: own.stdout ?? '',
    stderr_logfile: own.stderr ?? '',
    pid: s.pid ?? 0,
  };
  return { ...info, description: describe(s, info.spawnerr, start, stop, now) };
}

/** supervisor/rpcinterface.py `_interpretProcessInfo`, word for word. */
function describe(
  s: InstanceStatus,
  spawnerr: string,
  start: number,
  stop: number,
  now: number,
): string {
  switch (s.state) {
    case 'running':
      return `pid ${s.pid ?? 0}, uptime ${uptime(Math.max(0, now - start))}`;
    case 'fatal':
    case 'backoff':
      return spawnerr === '' ? `unknown error (try "tail ${s.name}")` : spawnerr;
    case 'stopped':
    case 'exited':
      return start === 0 ? 'Not started' : stopTime(stop);
    case 'starting':
    case 'stopping':
      return '';
  }
}

function seconds(ms: number): number {
  return Math.floor(ms / 1000);
}

/** Python's str(timedelta): `0:05:07`, `2 days, 3:04:05`. */
function uptime(total: number): string {
  const days = Math.floor(total / 86400);
  const rest = total % 86400;
  const hms = `${Math.floor(rest / 3600)}:${pad(Math.floor(rest / 60) % 60)}:${pad(rest % 60)}`;
  return days === 0 ? hms : `${days} day${days === 1 ? '' : 's'}, ${hms}`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** strftime('%b %d %I:%M %p') in local time: `Dec 03 11:58 AM`. */
function stopTime(sec: number): string {
  const d = new Date(sec * 1000);
  const h12 = d.getHours() % 12 === 0 ? 12 : d.getHours() % 12;
  const ampm = d.getHours() < 12 ? 'AM' : 'PM';
  return `${MONTHS[d.getMonth()]} ${pad(d.getDate())} ${pad(h12)}:${pad(d.getMinutes())} ${ampm}`;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** Supervisor's getAllConfigInfo struct for one instance of `spec`. */
export function configInfo(
  program: ProgramSpec,
  index: number,
  isInUse: boolean,
): Record<string, XmlRpcValue> {
  // an instance's own values: with %(process_num)d its command and files are not instance 0's
  const spec = instanceSpec(program, index);
  const orNone = (v: string | null) => v ?? 'none';
  return {
    autostart: spec.autostart,
    directory: orNone(spec.workingdir),
    uid: orNone(spec.user),
    command: spec.cmd,
    exitcodes: [...spec.exitcodes],
    group: spec.name,
    group_prio: spec.priority,
    inuse: isInUse,
    // stop signals always go to the whole process group
    killasgroup: true,
    name: String(index),
    process_prio: spec.priority,
    redirect_stderr: false,
    startretries: spec.startRetries,
    startsecs: spec.startTimeMs / 1000,
    stdout_capture_maxbytes: 0,
    stdout_events_enabled: false,
    stdout_logfile: orNone(spec.stdout),
    stdout_logfile_backups: spec.stdoutLimit.backups,
    stdout_logfile_maxbytes: spec.stdoutLimit.maxBytes,
    stdout_syslog: false,
    stopsignal: (constants.signals as Record<string, number>)[spec.stopSignal] ?? 15,
    stopwaitsecs: spec.stopTimeMs / 1000,
    stderr_capture_maxbytes: 0,
    stderr_events_enabled: false,
    stderr_logfile: orNone(spec.stderr),
    stderr_logfile_backups: spec.stderrLimit.backups,
    stderr_logfile_maxbytes: spec.stderrLimit.maxBytes,
    stderr_syslog: false,
    serverurl: 'none',
  };
}
