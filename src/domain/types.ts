/** The vocabulary every layer shares: states, causes, specs and transition events. */

export const STATES = [
  'stopped',
  'starting',
  'running',
  'backoff',
  'stopping',
  'exited',
  'fatal',
] as const;
export type State = (typeof STATES)[number];

/** States in which the instance has, or is about to have, a process: a start is refused there. */
export const LIVE_STATES: readonly State[] = ['starting', 'running', 'backoff', 'stopping'];
/** States an instance rests in until somebody asks for something. */
export const REST_STATES: readonly State[] = ['stopped', 'exited', 'fatal'];

export const CAUSES = [
  'autostart', // the daemon started it because the config says autostart
  'user', // a user asked (tm, or a signal to the daemon that means "stop all")
  'exit', // the process exited by itself
  'spawn-error', // the process could not be spawned
  'timeout', // a timer ran out: starttime reached, or stoptime passed
  'retry', // a backoff delay ran out and the start is tried again
  'crash-loop', // it exited again soon after its last start: the restart waits (docs/faults.md)
  'reload', // a config reload asked for it
  'shutdown', // the daemon is stopping
  'adopted', // a process left by a previous daemon run was taken back
  'replay', // the daemon restored the state recorded by its previous run
] as const;
export type Cause = (typeof CAUSES)[number];

export const AUTORESTART = ['always', 'never', 'unexpected'] as const;
export type AutoRestart = (typeof AUTORESTART)[number];

/** How a process ended: a code, or a signal, or neither when unknown (an adopted process). */
export type ExitInfo = {
  pid: number;
  code: number | null;
  signal: string | null;
};

/** Why a process could not be spawned, in words a user can act on. */
export type SpawnFailure = {
  message: string;
  errno: string | null;
};

/**
 * Failures of the moment, not of the program: the daemon is out of file descriptors or processes
 * (EMFILE, ENFILE, EAGAIN at fork, ENOMEM). A spawn that fails so is tried again without
 * counting towards `startretries`, so an fd storm never turns a restart into `fatal`.
 */
export const TRANSIENT_ERRNOS: readonly string[] = ['EMFILE', 'ENFILE', 'EAGAIN', 'ENOMEM'];

export function isTransient(failure: SpawnFailure): boolean {
  return failure.errno !== null && TRANSIENT_ERRNOS.includes(failure.errno);
}

/**
 * How far a file may grow before it is rotated (PATH -> PATH.1 … PATH.backups), and how many old
 * ones are kept; maxBytes 0 = never rotated.
 */
export type FileLimit = { readonly maxBytes: number; readonly backups: number };

/** One program of the config, validated, with units converted once (times in ms). */
export type ProgramSpec = {
  name: string;
  argv: readonly string[];
  cmd: string;
  numprocs: number;
  autostart: boolean;
  autorestart: AutoRestart;
  exitcodes: readonly number[];
  startTimeMs: number;
  startRetries: number;
  stopSignal: string;
  stopTimeMs: number;
  /** Cap of the crash-loop wait (config key `restartdelaymax`); 0 = restart at once, always. */
  restartDelayMaxMs: number;
  stdout: string | null;
  stderr: string | null;
  /** When the stdout file is rotated, and how many old ones are kept (docs/output-files.md). */
  stdoutLimit: FileLimit;
  stderrLimit: FileLimit;
  env: Readonly<Record<string, string>>;
  workingdir: string | null;
  umask: number | null;
  user: string | null;
  priority: number;
  /**
   * Each instance's own values, by index, when the config's expansions make them differ
   * (`%(process_num)d`); the fields above are then instance 0's. Absent when every instance
   * has the fields above. Read an instance's values with instanceSpec(), not from here.
   */
  perInstance?: readonly InstanceValues[];
};

/** What an instance of a program may have of its own, once `%(…)s` expansions are applied. */
export type InstanceValues = Pick<
  ProgramSpec,
  'cmd' | 'argv' | 'env' | 'workingdir' | 'stdout' | 'stderr'
>;

/** One transition of one instance, as appended to the event log before anything acts on it. */
export type TransitionEvent = {
  atMs: number;
  name: string;
  from: State;
  to: State;
  cause: Cause;
  pid: number | null;
  exitCode: number | null;
  signal: string | null;
  retries: number;
  message: string | null;
  /** How long the backoff this row enters waits (ms); null for any other row. */
  waitMs: number | null;
  /**
   * For a row that records an exit: whether it was expected (its code is in `exitcodes`, or a
   * stop asked for it); null for rows without an exit. Projections (alerts) read it, so none
   * re-derives the exitcodes rule.
   */
  expected: boolean | null;
};

/** A TransitionEvent once stored: `seq` orders events across the whole log. */
export type StoredEvent = TransitionEvent & { seq: number; revision: number };

/**
 * A row of the event log that is not a transition: what was asked over the wire (`action`, with
 * the client who asked) or the daemon's own life (`daemon`: started, stopped, ended without a
 * shutdown). `name` is the instance an action reached, null for a daemon-wide one.
 */
export type NoteRow = {
  kind: 'action' | 'daemon';
  seq: number;
  atMs: number;
  name: string | null;
  /** `start`, `stop`, `signal SIGHUP`, `reload` …; for the daemon: `started`, `stopped`, `crashed`. */
  action: string;
  client: string | null;
  message: string | null;
  revision: number;
};

/** Any row of the event log, as `tm log` shows them, oldest first by `seq`. */
export type LogRow = ({ kind: 'transition' } & StoredEvent) | NoteRow;
