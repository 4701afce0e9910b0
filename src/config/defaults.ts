import type { ProgramSpec } from '../domain/types.js';
import { OUTPUT_LIMIT, PROGRAM_FIELDS } from './program-keys.js';
import type { DaemonSection, EmailSection, ServerSection } from './types.js';

/** What a program gets for each key it leaves out, already in the units of ProgramSpec. */
export const PROGRAM_DEFAULTS: Readonly<Omit<ProgramSpec, 'name' | 'cmd' | 'argv'>> = Object.freeze(
  Object.fromEntries(
    Object.entries(PROGRAM_FIELDS)
      .filter(([, row]) => row.default !== 'required')
      .map(([field, row]) => [field, row.default]),
  ) as Omit<ProgramSpec, 'name' | 'cmd' | 'argv'>,
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
