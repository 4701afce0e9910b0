import type { LogRow, State, StoredEvent } from '../domain/types.js';
import type { ActionResult, InstanceStatus, ReloadChanges } from '../rpc/protocol.js';

/**
 * What tm prints, as text lines and as --json values: pure functions of what the daemon
 * answered (and of the time, passed in), so the exact text is tested without a daemon.
 */

const NAME_WIDTH = 10;
const STATE_WIDTH = 9;

const COLOURS: Record<State, string | null> = {
  running: '32', // green
  starting: '33', // yellow
  stopping: '33',
  exited: '33',
  backoff: '31', // red
  fatal: '31',
  stopped: null,
};

/**
 * `tm status`, one line an instance, as supervisorctl prints it:
 * `web:0      running   pid 1234, uptime 0:01:02`.
 */
export function statusLines(
  rows: readonly InstanceStatus[],
  nowMs: number,
  isColoured = false,
): string[] {
  const width = Math.max(NAME_WIDTH, ...rows.map((r) => r.name.length));
  return rows.map((r) => {
    const colour = isColoured ? COLOURS[r.state] : null;
    const state = colour === null ? r.state : `\u001b[${colour}m${r.state}\u001b[0m`;
    const pad = ' '.repeat(STATE_WIDTH - r.state.length);
    return `${r.name.padEnd(width)} ${state}${pad} ${statusDetail(r, nowMs)}`.trimEnd();
  });
}

/** The last column of `tm status`: pid and uptime, or how it ended, or why it cannot start. */
export function statusDetail(r: InstanceStatus, nowMs: number): string {
  const pid = r.pid === null ? [] : [`pid ${r.pid}`];
  const retries = r.retries > 0 ? [`retries ${r.retries}`] : [];
  const failure = r.spawnerror !== null ? `spawn error: ${r.spawnerror}` : exitText(r);
  const when = r.since === null ? [] : [formatAgo(nowMs - r.since)];
  switch (r.state) {
    case 'running': {
      const uptime = r.since === null ? [] : [`uptime ${formatUptime(nowMs - r.since)}`];
      return [...pid, ...uptime].join(', ');
    }
    case 'starting':
      return [...pid, ...retries].join(', ');
    case 'stopping':
      return pid.join(', ');
    case 'backoff':
      return [failure, ...retries].join(', ');
    case 'fatal':
      return failure;
    case 'exited':
      return [exitText(r), ...when].join(', ');
    case 'stopped':
      return r.since === null ? 'not started' : when.join(', ');
  }
}

function exitText(r: { exitcode: number | null; signal: string | null }): string {
  if (r.signal !== null) return `killed by ${r.signal}`;
  if (r.exitcode !== null) return `exit code ${r.exitcode}`;
  return 'exit status unknown';
}

/** `0:01:02`, `12:00:00`, `1 day, 2:03:04`: supervisorctl's uptime. */
export function formatUptime(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const days = Math.floor(total / 86_400);
  const h = Math.floor((total % 86_400) / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const clock = `${h}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`;
  if (days === 0) return clock;
  return `${days} ${days === 1 ? 'day' : 'days'}, ${clock}`;
}

/** `5 s ago`, `2 min ago`, `3 h ago`, `2 days ago`: rounded down to the largest unit. */
export function formatAgo(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  const days = Math.floor(s / 86_400);
  return `${days} ${days === 1 ? 'day' : 'days'} ago`;
}

/**
 * start/stop as the user means them, "make it so" (as `systemctl stop`): an instance the daemon
 * left alone because it was already in the asked state is a success, `already stopped` or
 * `already started`, and keeps the daemon's code (NOT_RUNNING, ALREADY_STARTED) for --json.
 * Only the refusal codes are read so: a start's NOT_RUNNING is a stop that came before it was
 * running, a real failure. A restart is never refused (it starts a stopped instance).
 */
export function asAsked(
  action: 'start' | 'stop' | 'restart',
  results: readonly ActionResult[],
): ActionResult[] {
  const already =
    action === 'stop'
      ? { code: 'NOT_RUNNING', message: 'already stopped' }
      : action === 'start'
        ? { code: 'ALREADY_STARTED', message: 'already started' }
        : null;
  return results.map((r) =>
    already !== null && !r.ok && r.code === already.code
      ? { ...r, ok: true, message: already.message }
      : r,
  );
}

/** start/stop/restart/signal: `web:0: started`, `web:1: ERROR spawn error: …`. */
export function actionLines(results: readonly ActionResult[]): string[] {
  return results.map((r) => `${r.name}: ${r.ok ? '' : 'ERROR '}${r.message}`);
}

/** What a reload applied: a header with the revision, then one line per kind of change. */
export function reloadLines(c: ReloadChanges): string[] {
  const changes: [string, readonly string[]][] = [
    ['added', c.added],
    ['removed', c.removed],
    ['restarted', c.restarted],
    ['updated in place', c.updated],
  ];
  const out = changes.filter(([, names]) => names.length > 0);
  return [
    `config reloaded (revision ${c.revision})`,
    ...(out.length === 0
      ? ['no change']
      : out.map(([what, names]) => `${what}: ${names.join(', ')}`)),
  ];
}

/**
 * One transition for `tm log`, in local time:
 * `2026-11-24 21:25:10.703  web:0  stopped -> starting  (autostart)`, then the pid, the exit
 * code or signal, and the message, when there are.
 */
export function eventLine(e: StoredEvent): string {
  const extra: string[] = [];
  if (e.pid !== null) extra.push(`pid ${e.pid}`);
  if (e.signal !== null) extra.push(`killed by ${e.signal}`);
  else if (e.exitCode !== null) extra.push(`exit code ${e.exitCode}`);
  if (e.message !== null) extra.push(e.message);
  if (e.waitMs !== null) extra.push(`waits ${e.waitMs / 1000} s`);
  const head = `${formatTime(e.atMs)}  ${e.name}  ${e.from} -> ${e.to}  (${e.cause})`;
  return extra.length === 0 ? head : `${head}  ${extra.join(', ')}`;
}

/** `2026-11-24 21:25:10.703` in the local time zone. */
export function formatTime(ms: number): string {
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, '0');
  const date = `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}`;
  const time = `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
  return `${date} ${time}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}

/** An event as `tm log --json` prints it (docs/tm.md: `time` in epoch ms, `exitcode`). */
export type EventJson = {
  seq: number;
  time: number;
  name: string;
  from: State;
  to: State;
  cause: string;
  pid: number | null;
  exitcode: number | null;
  signal: string | null;
  retries: number;
  message: string | null;
  /** The wait of a backoff row (ms), else null. */
  waitms: number | null;
  /** For a row with an exit: whether it was expected (code in exitcodes, or asked by a stop). */
  expected: boolean | null;
  revision: number;
};

export function eventJson(e: StoredEvent): EventJson {
  return {
    seq: e.seq,
    time: e.atMs,
    name: e.name,
    from: e.from,
    to: e.to,
    cause: e.cause,
    pid: e.pid,
    exitcode: e.exitCode,
    signal: e.signal,
    retries: e.retries,
    message: e.message,
    waitms: e.waitMs,
    expected: e.expected,
    revision: e.revision,
  };
}

/**
 * Any row of `tm log`: a transition as eventLine; an action or a daemon row in words. An action
 * asked says by whom (`web:3  stop asked by tm 0.1.0@127.0.0.1:41234  names=web:3 wait=true`);
 * its outcome row says how it went (`web:3  stop ok  stopped`), and an action on the whole
 * daemon, like the daemon's own rows, is under `taskmasterd`.
 */
export function logLine(row: LogRow): string {
  if (row.kind === 'transition') return eventLine(row);
  const who = row.name ?? 'taskmasterd';
  const isAsked = row.kind === 'action' && row.action.endsWith(' asked');
  const by = isAsked ? ` by ${row.client ?? 'unknown'}` : '';
  const message = row.message === null ? '' : `  ${row.message}`;
  return `${formatTime(row.atMs)}  ${who}  ${row.action}${by}${message}`;
}

/** An action or daemon row as `tm log --json` prints it; transitions keep eventJson's shape. */
export type NoteJson = {
  seq: number;
  time: number;
  kind: 'action' | 'daemon';
  name: string | null;
  action: string;
  client: string | null;
  message: string | null;
  revision: number;
};

export function logJson(row: LogRow): (EventJson & { kind: 'transition' }) | NoteJson {
  if (row.kind === 'transition') return { ...eventJson(row), kind: 'transition' };
  return {
    seq: row.seq,
    time: row.atMs,
    kind: row.kind,
    name: row.name,
    action: row.action,
    client: row.client,
    message: row.message,
    revision: row.revision,
  };
}
