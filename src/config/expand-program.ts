import { hostname } from 'node:os';
import * as path from 'node:path';
import type { InstanceValues } from '../domain/types.js';
import {
  checkTemplate,
  parseTemplate,
  references,
  renderTemplate,
  type NameKind,
  type Template,
} from './expand.js';
import { splitCommand } from './split-command.js';

/** What expansions read from outside the config: the daemon's environment and host name. */
export type ExpansionInputs = {
  env: Readonly<Record<string, string | undefined>>;
  hostName: string;
};

/** The inputs as they are now (a load reads them afresh: a reload sees the same environment). */
export function currentInputs(): ExpansionInputs {
  return { env: process.env, hostName: hostname() };
}

/** The names every expandable value may use (ENV_ names come from the environment). */
export const EXPANSION_NAMES: ReadonlyMap<string, NameKind> = new Map([
  ['program_name', 'text'],
  // a program is its own group here: Supervisor's group_name of a program outside [group:x]
  ['group_name', 'text'],
  ['process_num', 'number'],
  ['numprocs', 'number'],
  ['here', 'text'],
  ['host_node_name', 'text'],
]);

/** The variable of the daemon's environment an `ENV_` name reads; own keys only. */
export function envValue(inputs: ExpansionInputs, name: string): string | undefined {
  if (!name.startsWith('ENV_')) return undefined;
  const variable = name.slice(4);
  return Object.hasOwn(inputs.env, variable) ? inputs.env[variable] : undefined;
}

/** A value as written in the file, and where (opaque here: the caller reports at it). */
export type Written<F> = { text: string; at: F };

/** The expandable keys of one program, as written. */
export type ProgramTemplates<F> = {
  name: string;
  numprocs: number;
  /** The folder of the file the program is written in: `%(here)s`, and relative paths. */
  dir: string;
  cmd: Written<F>;
  env: readonly (readonly [string, Written<F>])[];
  /** null: the program runs in `dir`. */
  workingdir: Written<F> | null;
  stdout: Written<F> | null;
  stderr: Written<F> | null;
};

export type Report<F> = (at: F, message: string, hint: string | null) => void;

/**
 * The cmd, argv, env, workingdir and output files of every instance of a program, with the
 * expansions applied (Supervisor's order: the env values first, with the daemon's environment
 * as ENV_; then the other keys, where ENV_ also sees the program's own env). `cmd` is expanded
 * before it is split, as Supervisor does: a value with spaces becomes several words unless the
 * command quotes it. `perInstance` is null when no value uses process_num (every instance is
 * the same). Undefined when a value cannot be expanded, each problem reported once.
 */
export function expandProgram<F>(
  t: ProgramTemplates<F>,
  inputs: ExpansionInputs,
  report: Report<F>,
): { shared: InstanceValues; perInstance: InstanceValues[] | null } | undefined {
  // built only when a value names an ENV_ that the daemon's environment lacks
  let ownKeys: ReadonlySet<string> | null = null;
  const programEnv = () => (ownKeys ??= new Set(t.env.map(([key]) => key)));
  const envKind = (name: string): NameKind | undefined =>
    EXPANSION_NAMES.get(name) ?? (envValue(inputs, name) !== undefined ? 'text' : undefined);
  const keyKind = (name: string): NameKind | undefined =>
    envKind(name) ??
    (name.startsWith('ENV_') && programEnv().has(name.slice(4)) ? 'text' : undefined);

  let isValid = true;
  const compile = (
    w: Written<F>,
    kindOf: (name: string) => NameKind | undefined,
    isEnvValue: boolean,
  ): Template => {
    // most values have no expansion: nothing to check, and they render as themselves
    if (!w.text.includes('%')) return [w.text];
    const parsed = parseTemplate(w.text);
    const problem =
      'message' in parsed
        ? parsed
        : checkTemplate(
            parsed,
            kindOf,
            () => candidates(inputs, isEnvValue ? [] : [...programEnv()]),
            (name) => unknownHint(name, isEnvValue),
            (name) =>
              isEnvValue && name.startsWith('ENV_') && programEnv().has(name.slice(4))
                ? "an env value sees taskmasterd's environment, not the program's other env values"
                : null,
          );
    if (problem === null) return parsed as Template;
    isValid = false;
    report(w.at, problem.message, problem.hint);
    return [];
  };
  const env = t.env.map(([key, w]) => [key, compile(w, envKind, true)] as const);
  const cmd = compile(t.cmd, keyKind, false);
  const files = {
    workingdir: t.workingdir && compile(t.workingdir, keyKind, false),
    stdout: t.stdout && compile(t.stdout, keyKind, false),
    stderr: t.stderr && compile(t.stderr, keyKind, false),
  };
  if (!isValid) return undefined;

  const instance = (index: number, first: InstanceValues | null): InstanceValues | undefined => {
    const fixed = new Map<string, string | number>([
      ['program_name', t.name],
      ['group_name', t.name],
      ['process_num', index],
      ['numprocs', t.numprocs],
      ['here', t.dir],
      ['host_node_name', inputs.hostName],
    ]);
    const daemonValue = (name: string) => fixed.get(name) ?? envValue(inputs, name)!;
    // fromEntries defines own properties, so a variable named __proto__ is just a variable
    const ownEnv: Record<string, string> = Object.fromEntries(
      env.map(([key, template]) => [key, renderTemplate(template, daemonValue)]),
    );
    const value = (name: string) =>
      fixed.get(name) ??
      (Object.hasOwn(ownEnv, name.slice(4)) ? ownEnv[name.slice(4)]! : daemonValue(name));
    const cmdText = renderTemplate(cmd, value);
    let argv = first !== null && cmdText === first.cmd ? first.argv : null;
    if (argv === null) {
      try {
        argv = splitCommand(cmdText);
      } catch (err) {
        const reason = err instanceof Error ? err.message : String(err);
        report(t.cmd.at, `${reason} in ${JSON.stringify(cmdText)}`, null);
        return undefined;
      }
    }
    const file = (key: keyof typeof files): string | null | undefined => {
      const template = files[key];
      const written = t[key];
      if (template === null || written === null) return null;
      const text = renderTemplate(template, value);
      if (text !== '') return path.resolve(t.dir, text);
      report(written.at, `${JSON.stringify(written.text)} expands to nothing`, null);
      return undefined;
    };
    const workingdir = file('workingdir');
    const stdout = file('stdout');
    const stderr = file('stderr');
    if (workingdir === undefined || stdout === undefined || stderr === undefined) return undefined;
    return {
      cmd: cmdText,
      argv,
      env: first !== null && sameEnv(first.env, ownEnv) ? first.env : ownEnv,
      workingdir: workingdir ?? t.dir,
      stdout,
      stderr,
    };
  };

  const shared = instance(0, null);
  if (shared === undefined) return undefined;
  const templates = [...env.map(([, template]) => template), cmd, ...Object.values(files)];
  const varies = templates.some(
    (template) => template !== null && references(template).some((r) => r.name === 'process_num'),
  );
  if (!varies || t.numprocs === 1) return { shared, perInstance: null };
  const perInstance = [shared];
  for (let i = 1; i < t.numprocs; i++) {
    const values = instance(i, shared);
    if (values === undefined) return undefined;
    perInstance.push(values);
  }
  return { shared, perInstance };
}

function sameEnv(
  a: Readonly<Record<string, string>>,
  b: Readonly<Record<string, string>>,
): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}

function candidates(inputs: ExpansionInputs, programEnv: readonly string[]): string[] {
  const env = new Set([...Object.keys(inputs.env), ...programEnv]);
  return [...EXPANSION_NAMES.keys(), ...[...env].map((k) => `ENV_${k}`)];
}

function unknownHint(name: string, isEnvValue: boolean): string {
  if (name.startsWith('ENV_')) {
    const variable = name.slice(4);
    const where = isEnvValue
      ? "taskmasterd's environment"
      : "the program's env or taskmasterd's environment";
    return `${variable} is not set in ${where}; ${LITERAL}`;
  }
  return `the names are ${[...EXPANSION_NAMES.keys()].join(', ')} and ENV_ followed by a variable of taskmasterd's environment; ${LITERAL}`;
}

const LITERAL = 'write %% for a literal %';
