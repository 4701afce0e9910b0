import { parseSignal } from '../config/signals.js';
import {
  autoRestart,
  boolean,
  exitCodes,
  integer,
  octal,
  processOrGroupName,
  type Parsed,
} from './datatypes.js';
import { parseEnvironment } from './environment.js';
import { PROCESS_NAMES, PROGRAM_NAMES, toFixed, type EnvValue, type Scope } from './expansions.js';
import {
  mergeAutoComments,
  outputEntry,
  readOutputFile,
  type AutoLogs,
} from './convert-output-file.js';
import type { IniSection } from './ini.js';
import { entry, type Entry, type ProgramBlock } from './output.js';
import { SectionReader, type Conversion } from './section-reader.js';

/** What `[supervisord]` gives every program. */
export type ProgramDefaults = {
  /** The umask a daemonizing supervisord sets and its children inherit; null: not set. */
  umask: number | null;
  /** The folder a daemonizing supervisord moves to (taskmaster text); null: not set. */
  directory: string | null;
  env: ReadonlyMap<string, EnvValue>;
  auto: AutoLogs;
};

export type Membership = { group: string; priority: number; file: string; line: number };

const MAX_NUMPROCS = 1000;

function signal(text: string): Parsed<string> {
  const name = parseSignal(text.trim());
  return name === null
    ? { ok: false, expected: 'a signal name or number like TERM' }
    : { ok: true, value: name.slice(3) };
}

function umaskText(mask: number): string {
  return mask.toString(8).padStart(3, '0');
}

/**
 * One `[program:x]` as a taskmaster program, read in the order of options.py
 * `_processes_from_section` so that the first problem Supervisor would stop at is found too.
 * Returns null when it makes no program (numprocs = 0, or a problem was reported).
 */
export function convertProgram(
  cx: Conversion,
  section: IniSection,
  taskmasterName: string,
  membership: Membership | null,
  defaults: ProgramDefaults,
): ProgramBlock | null {
  const r = new SectionReader(cx, section, taskmasterName);
  const problemsBefore = cx.problems.length;
  const named = processOrGroupName(section.name.slice(section.name.indexOf(':') + 1));
  if (!named.ok) {
    r.refuse(null, null, `expected ${named.expected} after "program:"`);
    return null;
  }
  const name = named.value;
  const program = { name, taskmasterName, group: membership?.group ?? name };
  const before: Scope = { here: '', names: PROGRAM_NAMES, program };
  const comments: string[] = [];
  if (taskmasterName !== name) {
    comments.push(
      `renamed from ${name}: taskmaster's names are letters, digits, "_", "." and "-", and "all" is reserved`,
    );
  }
  if (membership !== null) {
    const message = `in [group:${membership.group}] (priority ${membership.priority}): taskmaster has no groups; supervisorctl named its processes ${membership.group}:NAME, tm names them ${taskmasterName}:N`;
    r.note(null, message, true);
  }

  const priority = r.typed('priority', before, '999', integer);
  const autostart = r.typed('autostart', before, 'true', boolean);
  const autorestart = r.typed('autorestart', before, 'unexpected', autoRestart);
  const startsecs = r.typed('startsecs', before, '1', integer);
  const startretries = r.typed('startretries', before, '3', integer);
  const stopsignal = r.typed('stopsignal', before, 'TERM', signal);
  const stopwaitsecs = r.typed('stopwaitsecs', before, '10', integer);
  const stopasgroup = r.typed('stopasgroup', before, 'false', boolean);
  const killasgroup = r.typed('killasgroup', before, String(stopasgroup?.value ?? false), boolean);
  const exitcodes = r.typed('exitcodes', before, '0', exitCodes);
  const redirect = r.typed('redirect_stderr', before, 'false', boolean);
  const numprocs = r.typed('numprocs', before, '1', integer);
  const numprocsStart = r.typed('numprocs_start', before, '0', integer);
  const environment = r.raw('environment');
  const serverurl = r.fixed('serverurl', before, 'AUTO');
  if (serverurl !== undefined && serverurl.value.trim().toUpperCase() !== 'AUTO') {
    r.note('serverurl', 'taskmaster sets no SUPERVISOR_SERVER_URL in the environment', true);
  }
  const user = r.isSet('user') ? r.fixed('user', before, '') : undefined;
  const umask = r.isSet('umask') ? r.typed('umask', before, '', octal) : undefined;
  const processName = r.raw('process_name');
  const processNameText = processName?.value ?? '%(program_name)s';
  if (!processOrGroupName(processNameText).ok) {
    r.refuse(processName ?? null, 'process_name', 'expected a name without spaces, ":" or "/"');
  }
  if ((numprocs?.value ?? 1) > 1 && !processNameText.includes('%(process_num)')) {
    r.refuse(
      numprocs?.at ?? null,
      'numprocs',
      '%(process_num) must be present within process_name when numprocs > 1',
      'write process_name = %(program_name)s_%(process_num)02d',
    );
  }
  if (stopasgroup?.value === true && killasgroup?.value === false) {
    r.refuse(killasgroup.at, 'killasgroup', 'cannot set stopasgroup=true and killasgroup=false');
  }
  // a refused numprocs is reported; the rest is read as for one process, to report its problems too
  const count = numprocs?.value ?? 1;
  if (count < 1) {
    r.note(
      'numprocs',
      `numprocs = ${count}: Supervisor starts no process for it, so it is left out`,
      true,
    );
    return null;
  }

  // per process, as Supervisor's loop; taskmaster expands these itself, once per instance
  const loop: Scope = {
    here: '',
    names: PROCESS_NAMES,
    program,
    numprocs: count,
    processNum: numprocsStart?.value ?? 0,
    configEnv: defaults.env,
  };
  let env = new Map(defaults.env);
  if (environment !== undefined) {
    const own = parseEnvironment(
      environment.value,
      { ...loop, here: r.hereOf(environment) },
      cx.ctx,
    );
    if (own instanceof Map) env = new Map([...env, ...own]);
    else r.refuse(environment, 'environment', own.error);
  }
  const withEnv: Scope = { ...loop, configEnv: env };
  const directory = r.isSet('directory') ? r.expanding('directory', withEnv, '') : undefined;
  const names = { supervisor: name, taskmaster: taskmasterName };
  const stdout = readOutputFile(r, 'stdout', withEnv, names, count, defaults.auto);
  const stderr = readOutputFile(r, 'stderr', withEnv, names, count, defaults.auto);
  const command = r.isSet('command') ? r.expanding('command', withEnv, '') : undefined;
  if (!r.isSet('command')) {
    r.refuse(
      null,
      null,
      'program section does not specify a command',
      'add command = /path/to/program --its-options',
    );
  } else if (command !== undefined && command.value.trim() === '') {
    r.refuse(command.at, 'command', 'the command is empty');
  }
  r.listUnread();
  if (
    cx.problems.length > problemsBefore ||
    numprocs === undefined ||
    numprocsStart === undefined
  ) {
    return null;
  }

  // every value is read and valid: the notes on what does not carry over, then the entries
  if (processName !== undefined || count > 1) {
    const first = numprocsStart.value;
    const supervisorNames = [first, first + count - 1]
      .map((n) =>
        toFixed(processNameText, { ...loop, here: r.hereOf(processName), processNum: n }, cx.ctx),
      )
      .map((x) => ('error' in x ? '?' : x.text));
    const theirs =
      count === 1 ? supervisorNames[0] : `${supervisorNames[0]} … ${supervisorNames[1]}`;
    const ours =
      count === 1 ? `${taskmasterName}:0` : `${taskmasterName}:0 … ${taskmasterName}:${count - 1}`;
    r.note(
      'process_name',
      `taskmaster names the instances ${ours} (Supervisor: ${theirs})`,
      true,
      processName ?? null,
    );
  }
  if (numprocsStart.value !== 0) {
    r.note(
      'numprocs_start',
      `taskmaster numbers the instances from 0, so %(process_num) counts from 0, not ${numprocsStart.value}`,
      true,
    );
  }
  if (count > MAX_NUMPROCS) {
    r.note(
      'numprocs',
      `taskmaster runs at most ${MAX_NUMPROCS} instances of a program; ${MAX_NUMPROCS} written`,
      true,
    );
  }

  if (redirect?.value !== true) mergeAutoComments(stdout!, stderr!, defaults.auto);
  const entries: (Entry | null)[] = [
    entry('cmd', command!.value),
    numprocs.at !== null ? entry('numprocs', Math.min(count, MAX_NUMPROCS)) : null,
    autostart?.at ? entry('autostart', autostart.value) : null,
    autorestart?.at ? entry('autorestart', autorestart.value) : null,
    exitcodes?.at ? entry('exitcodes', exitcodes.value) : null,
    startsecs?.at ? seconds(r, 'starttime', startsecs.value, 'startsecs') : null,
    startretries?.at ? count0(r, 'startretries', startretries.value) : null,
    stopsignal?.at ? entry('stopsignal', stopsignal.value) : null,
    stopwaitsecs?.at ? seconds(r, 'stoptime', stopwaitsecs.value, 'stopwaitsecs') : null,
    outputEntry('stdout', stdout!),
    redirect?.value === true
      ? outputEntry('stderr', stdout!, ['redirect_stderr = true: the same file as stdout'])
      : outputEntry('stderr', stderr!),
  ];
  if (redirect?.value === true && r.isSet('stderr_logfile')) {
    r.note('stderr_logfile', 'ignored with redirect_stderr = true (by Supervisor too)', true);
  }
  if (env.size > 0) entries.push(envEntry(r, env));
  if (directory !== undefined) entries.push(entry('workingdir', directory.value));
  else if (defaults.directory !== null) {
    entries.push(
      entry(
        'workingdir',
        defaults.directory,
        '[supervisord] directory: where a daemonizing supervisord ran its programs',
      ),
    );
  }
  if (umask?.value !== undefined) entries.push(entry('umask', umaskText(umask.value)));
  else if (defaults.umask !== null) {
    entries.push(
      entry(
        'umask',
        umaskText(defaults.umask),
        '[supervisord] umask (default 022): what a daemonizing supervisord gave its programs',
      ),
    );
  }
  if (user !== undefined) entries.push(entry('user', user.value));
  if (priority?.at) entries.push(entry('priority', priority.value));
  if (stopasgroup?.at || killasgroup?.at) {
    const was =
      stopasgroup?.value === true
        ? 'so did Supervisor here'
        : 'Supervisor signalled the main process only';
    comments.push(
      `stopasgroup/killasgroup: taskmaster always signals the whole process group (${was})`,
    );
  }
  return {
    name: taskmasterName,
    source: { section: section.name, file: section.file, line: section.line },
    comments,
    entries: entries.filter((e): e is Entry => e !== null),
  };
}

function seconds(r: SectionReader, key: string, value: number, theirs: string): Entry {
  if (value >= 0 && value <= 86_400) return entry(key, value);
  const fixed = Math.min(Math.max(value, 0), 86_400);
  r.note(theirs, `${value} is outside taskmaster's 0 to 86400 seconds; ${fixed} written`, true);
  return entry(key, fixed);
}

function count0(r: SectionReader, key: string, value: number): Entry {
  if (value >= 0) return entry(key, value);
  r.note(key, `${value}: taskmaster counts from 0; 0 written`, true);
  return entry(key, 0);
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function envEntry(r: SectionReader, env: ReadonlyMap<string, EnvValue>): Entry {
  const out: [string, string][] = [];
  for (const [key, value] of env) {
    if (ENV_NAME.test(key)) out.push([key, value.taskmaster]);
    else
      r.note(
        'environment',
        `${key}: taskmaster's variable names are letters, digits and "_", not starting with a digit`,
        true,
      );
  }
  // fromEntries defines own properties: a variable named __proto__ stays a variable
  return entry('env', Object.fromEntries(out));
}
