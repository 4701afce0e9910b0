import type { FileLimit, ProgramSpec } from '../domain/types.js';

/** Supervisor's defaults for its `*_logfile_maxbytes` and `*_logfile_backups`: bounded unless told. */
export const OUTPUT_LIMIT: FileLimit = Object.freeze({ maxBytes: 50 * 1024 * 1024, backups: 10 });

/**
 * What a reload does when a field changed: `restart` its instances (the field shapes the process
 * itself), apply it `in-place` (same pid), `resize` (numprocs: instances added or taken away), or
 * nothing because the field is compared through another one (`cmd`, as its argv).
 */
export type ReloadClass = 'restart' | 'in-place' | 'resize' | 'compared-as-argv';

type FieldRow<K extends keyof ProgramSpec> = {
  /** The key of the config file it is written under. */
  key: string;
  reload: ReloadClass;
  /** How a reload names it in the daemon log, when not by its key. */
  label?: string;
  /** What a program gets when it leaves the key out; `required` for cmd. */
  default: ProgramSpec[K] | 'required';
};

/**
 * Every field of ProgramSpec but its name, once: the config key it comes from, its reload class
 * and its default. Validation, the defaults, the reload diff and the daemon log's key names are
 * derived from this table, so a new key is one row here (and its reader in validate.ts).
 * A key may fill two fields (`stdout`: the path and its rotation limit), with their own classes.
 */
export const PROGRAM_FIELDS = {
  cmd: { key: 'cmd', reload: 'compared-as-argv', default: 'required' },
  argv: { key: 'cmd', reload: 'restart', default: 'required' },
  numprocs: { key: 'numprocs', reload: 'resize', default: 1 },
  autostart: { key: 'autostart', reload: 'in-place', default: true },
  autorestart: { key: 'autorestart', reload: 'in-place', default: 'unexpected' },
  exitcodes: { key: 'exitcodes', reload: 'in-place', default: Object.freeze([0]) },
  startTimeMs: { key: 'starttime', reload: 'in-place', default: 1000 },
  startRetries: { key: 'startretries', reload: 'in-place', default: 3 },
  stopSignal: { key: 'stopsignal', reload: 'in-place', default: 'SIGTERM' },
  stopTimeMs: { key: 'stoptime', reload: 'in-place', default: 10_000 },
  restartDelayMaxMs: { key: 'restartdelaymax', reload: 'in-place', default: 30_000 },
  // the file a child is handed is opened at its spawn; how it is rotated is the daemon's business
  stdout: { key: 'stdout', reload: 'restart', default: null },
  stdoutLimit: {
    key: 'stdout',
    label: 'stdout rotation',
    reload: 'in-place',
    default: OUTPUT_LIMIT,
  },
  stderr: { key: 'stderr', reload: 'restart', default: null },
  stderrLimit: {
    key: 'stderr',
    label: 'stderr rotation',
    reload: 'in-place',
    default: OUTPUT_LIMIT,
  },
  env: { key: 'env', reload: 'restart', default: Object.freeze({}) },
  // left out, a program runs in the config file's folder: validate.ts fills it in
  workingdir: { key: 'workingdir', reload: 'restart', default: null },
  umask: { key: 'umask', reload: 'restart', default: null },
  user: { key: 'user', reload: 'restart', default: null },
  // priority 999 is Supervisor's default, so a program that sets one starts before the rest
  priority: { key: 'priority', reload: 'in-place', default: 999 },
} as const satisfies { [K in Exclude<keyof ProgramSpec, 'name' | 'perInstance'>]: FieldRow<K> };

export type SpecField = keyof typeof PROGRAM_FIELDS;
type FieldsOf<C extends ReloadClass> = {
  [K in SpecField]: (typeof PROGRAM_FIELDS)[K]['reload'] extends C ? K : never;
}[SpecField];

function fieldsOf<C extends ReloadClass>(reload: C): FieldsOf<C>[] {
  return (Object.keys(PROGRAM_FIELDS) as SpecField[]).filter(
    (k): k is FieldsOf<C> => PROGRAM_FIELDS[k].reload === reload,
  );
}

/** The keys of a program, in the order of the table (the order config.example.yaml follows). */
export const PROGRAM_KEYS: readonly string[] = [
  ...new Set(Object.values(PROGRAM_FIELDS).map((row) => row.key)),
];

/** Fields whose change needs a new process. */
export const RESTART_FIELDS = fieldsOf('restart');
/** Fields applied in place: the processes keep running with the same pid. */
export const IN_PLACE_FIELDS = fieldsOf('in-place');

/** The config key a field is written under, for messages (`startTimeMs` → `starttime`). */
export function configKeyOf(field: SpecField): string {
  const row: FieldRow<SpecField> = PROGRAM_FIELDS[field];
  return row.label ?? row.key;
}
