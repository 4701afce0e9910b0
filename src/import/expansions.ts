import * as path from 'node:path';
import { escapePercent, formatField, parseFormat, type FormatField } from './format-string.js';

/**
 * What a `%(name)s` of a Supervisor value becomes. taskmaster expands `program_name`,
 * `process_num`, `numprocs`, `here`, `host_node_name` and `ENV_X` itself, per instance, in
 * `cmd`, `env` values, `workingdir` and the `stdout`/`stderr` paths: there they are kept as
 * written, except where its meaning differs from Supervisor's:
 *
 * - `group_name` (taskmaster has no groups): the group's name, written out;
 * - `here`: Supervisor's is the folder of the file the value is written in, taskmaster's the
 *   folder of the YAML config, so it is kept only when the YAML goes to that same folder;
 * - `program_name` of a program renamed for taskmaster: the Supervisor name, written out;
 * - `ENV_X` of a variable the Supervisor config sets itself (`[supervisord] environment`, the
 *   program's `environment`): Supervisor expands it with that value, taskmaster would read its
 *   own environment, so the value is written in.
 *
 * Every other key (numprocs, priority, user …) is not expanded by taskmaster: its value is worked
 * out here ("static"), `ENV_X` and `host_node_name` from where tm import runs, which is said.
 */

/** The names a value may use, by where it is written (options.py `get` of each section). */
export type Scope = {
  /** Folder of the file the value was read from. */
  here: string;
  /** Names besides `here` and `ENV_*` that Supervisor gives this option. */
  names: ReadonlySet<string>;
  program?: { name: string; taskmasterName: string; group: string };
  numprocs?: number;
  /** The first process number (`numprocs_start`): the static value of `process_num`. */
  processNum?: number;
  /** Variables the Supervisor config sets, for `ENV_X`. */
  configEnv?: ReadonlyMap<string, EnvValue>;
};

/** A variable of an `environment` line: as taskmaster text, and its value when fixed. */
export type EnvValue = { taskmaster: string; fixed: string | null };

export const PROGRAM_NAMES = new Set(['program_name', 'group_name', 'host_node_name']);
export const PROCESS_NAMES = new Set([...PROGRAM_NAMES, 'process_num', 'numprocs']);
export const NO_NAMES = new Set<string>();
export const HOST_NAMES = new Set(['host_node_name']);

export type Context = {
  /** The folder the YAML is written to; null when it goes to stdout. */
  outputDir: string | null;
  env: Readonly<Record<string, string | undefined>>;
  hostname: string;
};

export type Expanded = { text: string; notes: string[] } | { error: string };

/** `raw` as a value taskmaster expands (cmd, env, workingdir, stdout, stderr). */
export function toTaskmaster(raw: string, scope: Scope, ctx: Context): Expanded {
  return rewrite(raw, scope, escapePercent, (f) => {
    const fixed = (value: string | number): string | { error: string } => {
      const r = formatField(f, value);
      return 'error' in r ? r : escapePercent(r.text);
    };
    if (f.name === 'group_name') return fixed(scope.program!.group);
    if (f.name === 'program_name' && scope.program!.name !== scope.program!.taskmasterName)
      return fixed(scope.program!.name);
    if (f.name === 'here' && (ctx.outputDir === null || ctx.outputDir !== scope.here))
      return fixed(scope.here);
    if (f.name.startsWith('ENV_')) {
      const own = scope.configEnv?.get(f.name.slice(4));
      if (own !== undefined) {
        if (isPlain(f)) return own.taskmaster;
        if (own.fixed !== null) return fixed(own.fixed);
        return { error: `${f.raw} with a width cannot be carried over: its value is not fixed` };
      }
    }
    return f.raw;
  });
}

/** `raw` worked out here, for a key taskmaster does not expand. */
export function toFixed(raw: string, scope: Scope, ctx: Context): Expanded {
  return rewrite(
    raw,
    scope,
    (text) => text,
    (f, notes) => {
      const value = fixedValue(f.name, scope, ctx, notes);
      if (typeof value === 'object') return value;
      const r = formatField(f, value);
      return 'error' in r ? r : r.text;
    },
  );
}

/**
 * `raw` part by part: its plain text through `text`, each field (once its name is known in
 * `scope`) through `field`; the first error ends it.
 */
function rewrite(
  raw: string,
  scope: Scope,
  text: (plain: string) => string,
  field: (f: FormatField, notes: string[]) => string | { error: string },
): Expanded {
  const parts = parseFormat(raw);
  if (!Array.isArray(parts)) return parts;
  let out = '';
  const notes: string[] = [];
  for (const part of parts) {
    if ('text' in part) {
      out += text(part.text);
      continue;
    }
    const unknown = checkName(part.field, scope);
    if (unknown !== null) return { error: unknown };
    const r = field(part.field, notes);
    if (typeof r !== 'string') return r;
    out += r;
  }
  return { text: out, notes };
}

function fixedValue(
  name: string,
  scope: Scope,
  ctx: Context,
  notes: string[],
): string | number | { error: string } {
  switch (name) {
    case 'here':
      return scope.here;
    case 'program_name':
      return scope.program!.name;
    case 'group_name':
      return scope.program!.group;
    case 'numprocs':
      return scope.numprocs!;
    case 'process_num':
      return scope.processNum!;
    case 'host_node_name':
      notes.push(
        `%(host_node_name)s written as the host name where tm import ran (${ctx.hostname})`,
      );
      return ctx.hostname;
  }
  const variable = name.slice(4);
  const own = scope.configEnv?.get(variable);
  if (own !== undefined) {
    return own.fixed ?? { error: `%(${name})s cannot be worked out here: its value varies` };
  }
  const value = ctx.env[variable];
  if (value === undefined) {
    return {
      error: `%(${name})s: ${variable} is not set where tm import runs, and taskmaster does not expand this key`,
    };
  }
  notes.push(`%(${name})s written as its value where tm import ran`);
  return value;
}

function checkName(f: FormatField, scope: Scope): string | null {
  if (f.name === 'here' || f.name.startsWith('ENV_') || scope.names.has(f.name)) return null;
  const names = ['here', ...scope.names, 'ENV_*'].join(', ');
  return `${f.raw}: Supervisor has no ${f.name} here (it knows ${names})`;
}

function isPlain(f: FormatField): boolean {
  return f.conversion === 's' && f.flags === '' && f.width === null && f.precision === null;
}

/** The folder of the file a value was read from, as Supervisor's `here`. */
export function folderOf(file: string): string {
  return path.dirname(path.resolve(file));
}
