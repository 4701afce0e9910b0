import type { FileLimit, ProgramSpec } from '../domain/types.js';
import type { DaemonSection, EmailSection, ServerSection } from './types.js';

/** Supervisor's defaults for its `*_logfile_maxbytes` and `*_logfile_backups`: bounded unless told. */
export const OUTPUT_LIMIT: FileLimit = Object.freeze({ maxBytes: 50 * 1024 * 1024, backups: 10 });

/**
 * What a program gets for each key it leaves out (SPEC §2), already in the units of ProgramSpec.
 * priority 999 is Supervisor's default, so a program that sets one starts before the rest.
 */
export const PROGRAM_DEFAULTS: Readonly<Omit<ProgramSpec, 'name' | 'cmd' | 'argv'>> = Object.freeze(
  {
    numprocs: 1,
    autostart: true,
    autorestart: 'unexpected',
    exitcodes: Object.freeze([0]),
    startTimeMs: 1000,
    startRetries: 3,
    stopSignal: 'SIGTERM',
    stopTimeMs: 10_000,
    restartDelayMaxMs: 30_000,
    stdout: null,
    stderr: null,
    stdoutLimit: OUTPUT_LIMIT,
    stderrLimit: OUTPUT_LIMIT,
    env: Object.freeze({}),
    workingdir: null,
    umask: null,
    user: null,
    priority: 999,
  },
);

// The paths below are relative: validate resolves them against the config file's folder, so two
// configs in two folders never share a database or a pid file by accident.

export const DAEMON_DEFAULTS: Readonly<DaemonSection> = Object.freeze({
  logfile: 'taskmaster.log',
  logLimit: OUTPUT_LIMIT,
  eventlog: 'taskmaster.db',
  pidfile: 'taskmaster.pid',
  eventRetention: Object.freeze({ perInstance: 10_000, days: 90 }),
});

export const SERVER_DEFAULTS: Readonly<ServerSection> = Object.freeze({
  host: '127.0.0.1',
  port: 7878,
  tokenfile: 'taskmaster.token',
});

/** `to` has no default: an email section without recipients is an error. */
export const EMAIL_DEFAULTS: Readonly<Omit<EmailSection, 'to'>> = Object.freeze({
  smtp: Object.freeze({
    host: '127.0.0.1',
    // 465 when secure (implicit TLS) is set and no port is given
    port: 25,
    secure: false,
    requireTls: false,
    ca: null,
    user: null,
    pass: null,
  }),
  from: 'taskmaster@localhost',
  events: Object.freeze(['fatal', 'unexpected', 'spawn-error'] as const),
  digestMs: 60_000,
});
