import { ConfigError, type ConfigProblem } from '../domain/errors.js';
import { listOfStrings, integer, processOrGroupName } from './datatypes.js';
import { NO_NAMES, type Context } from './expansions.js';
import { convertProgram, type Membership } from './convert-program.js';
import { convertServers } from './convert-servers.js';
import { convertSupervisord } from './convert-supervisord.js';
import type { IniSection } from './ini.js';
import type { Note } from './notes.js';
import type { Output, ProgramBlock } from './output.js';
import { readSupervisorConfig } from './read-config.js';
import { SectionReader, type Conversion } from './section-reader.js';

export type ImportOptions = {
  /** The folder the YAML goes to; null for stdout (then `%(here)s` is always written out). */
  outputDir: string | null;
  /** The environment tm import runs in (`%(ENV_X)s` of keys taskmaster does not expand). */
  env: Readonly<Record<string, string | undefined>>;
  hostname: string;
  /** A password for an XML-RPC server that Supervisor ran without one. */
  randomSecret: () => string;
};

export type ImportResult = { output: Output; notes: Note[]; files: string[] };

/**
 * A supervisord.conf (and its includes) as a taskmaster config: what it would start, and every
 * setting that cannot come along said in `notes`. Throws a ConfigError with each problem, at its
 * file and line, when Supervisor would refuse the file.
 */
export function convertSupervisorConfig(file: string, options: ImportOptions): ImportResult {
  const ctx: Context = {
    outputDir: options.outputDir,
    env: options.env,
    hostname: options.hostname,
  };
  const problems: ConfigProblem[] = [];
  const notes: Note[] = [];
  const source = readSupervisorConfig(file, ctx, problems, notes);
  if (problems.length > 0) throw new ConfigError(problems);
  const cx: Conversion = { doc: source.doc, ctx, problems, notes };
  const sections = [...source.doc.sections.values()];
  const byPrefix = (prefix: string) => sections.filter((s) => s.name.startsWith(prefix));

  const supervisordSection = source.doc.sections.get('supervisord');
  if (supervisordSection === undefined) {
    problems.push({
      file,
      line: 1,
      col: 1,
      keyPath: '',
      message: 'the file has no [supervisord] section, which Supervisor requires',
      hint: 'convert the main supervisord.conf: it includes this file with [include] files',
    });
    throw new ConfigError(problems);
  }
  const supervisord = convertSupervisord(cx, supervisordSection);
  const memberships = readGroups(cx, byPrefix('group:'), new Set(sections.map((s) => s.name)));
  const names = taskmasterNames(byPrefix('program:'));
  const programs: ProgramBlock[] = [];
  for (const section of byPrefix('program:')) {
    if (supervisord === undefined) break;
    const block = convertProgram(
      cx,
      section,
      names.get(section)!,
      memberships.get(section.name) ?? null,
      supervisord.defaults,
    );
    if (block !== null) programs.push(block);
  }
  const servers = convertServers(
    cx,
    sections.filter((s) => /^(inet|unix)_http_server(:|$)/.test(s.name)),
    source.doc.sections.get('supervisorctl'),
    options.randomSecret,
  );
  const hasXmlRpc = servers.server.some((e) => e.key === 'xmlrpc');
  const programsComments = listOtherSections(cx, sections, hasXmlRpc);
  if (problems.length > 0)
    throw new ConfigError(problems.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line));

  return {
    output: {
      header: [...supervisord!.comments, ...servers.comments],
      daemon: supervisord!.daemon,
      server: servers.server,
      programs,
      programsComments,
      hasSecrets: servers.hasSecrets,
    },
    notes,
    files: [file, ...source.included],
  };
}

/** `[group:x] programs = a,b`: which group each program is in (options.py, heterogeneous groups). */
function readGroups(
  cx: Conversion,
  groups: readonly IniSection[],
  known: ReadonlySet<string>,
): Map<string, Membership> {
  const memberships = new Map<string, Membership>();
  for (const section of groups) {
    const r = new SectionReader(cx, section);
    const name = processOrGroupName(section.name.slice('group:'.length));
    const programs = r.fixed('programs', { here: '', names: NO_NAMES }, '');
    const priority = r.typed('priority', { here: '', names: NO_NAMES }, '999', integer);
    r.listUnread();
    if (!name.ok) {
      r.refuse(null, null, `expected ${name.expected} after "group:"`);
      continue;
    }
    if (programs === undefined || priority === undefined) continue;
    for (const program of listOfStrings(programs.value)) {
      const isProgram = known.has(`program:${program}`);
      if (!isProgram && !known.has(`fcgi-program:${program}`)) {
        r.refuse(programs.at, 'programs', `names unknown program or fcgi-program ${program}`);
        continue;
      }
      if (!isProgram) continue;
      const key = `program:${program}`;
      if (memberships.has(key)) {
        r.note(
          'programs',
          `${program} is in [group:${memberships.get(key)!.group}] already; Supervisor ran it in both`,
          true,
        );
        continue;
      }
      memberships.set(key, {
        group: name.value,
        priority: priority.value,
        file: section.file,
        line: section.line,
      });
    }
  }
  return memberships;
}

const NAME = /^[A-Za-z0-9_.-]+$/;

/** Each program's name in taskmaster: the same where it can be, else one made safe and unique. */
function taskmasterNames(sections: readonly IniSection[]): Map<IniSection, string> {
  const out = new Map<IniSection, string>();
  const taken = new Set<string>();
  const wanted = sections.map((s) => s.name.slice('program:'.length).trim());
  for (const w of wanted) if (NAME.test(w) && w !== 'all') taken.add(w);
  for (const [i, section] of sections.entries()) {
    const w = wanted[i]!;
    if (NAME.test(w) && w !== 'all') {
      out.set(section, w);
      continue;
    }
    const base = w === 'all' ? 'all_' : w.replace(/[^A-Za-z0-9_.-]/g, '_') || 'program';
    let name = base;
    for (let n = 2; taken.has(name); n++) name = `${base}_${n}`;
    taken.add(name);
    out.set(section, name);
  }
  return out;
}

/** Comments for the sections that are not programs, and notes for what they cannot carry. */
function listOtherSections(
  cx: Conversion,
  sections: readonly IniSection[],
  hasXmlRpc: boolean,
): string[] {
  const comments: string[] = [];
  for (const section of sections) {
    const r = new SectionReader(cx, section);
    const command = section.options.get('command')?.value;
    const ran = command === undefined ? '' : `; it ran ${command}`;
    const [kind] = section.name.split(':', 1);
    switch (kind) {
      case 'program':
      case 'group':
      case 'supervisord':
      case 'include':
        break;
      case 'eventlistener':
        r.note(
          null,
          `taskmaster has no event listeners (tm log -f follows every transition)${ran}`,
          true,
        );
        break;
      case 'fcgi-program':
        r.note(null, `taskmaster opens no socket for a program${ran}`, true);
        break;
      case 'rpcinterface': {
        const factory = section.options.get('supervisor.rpcinterface_factory')?.value ?? '';
        if (factory.trim() === 'supervisor.rpcinterface:make_main_rpcinterface' && hasXmlRpc) {
          comments.push(`[${section.name}]: Supervisor's API, which server.xmlrpc serves`);
        } else if (factory.trim() === 'supervisor.rpcinterface:make_main_rpcinterface') {
          comments.push(
            `[${section.name}]: Supervisor's API, served only with an http server section`,
          );
        } else {
          r.note(
            null,
            `taskmaster serves Supervisor's own API only, not ${factory || 'this interface'}`,
            true,
          );
        }
        break;
      }
      case 'ctlplugin':
        r.note(null, 'supervisorctl plugins have no counterpart in tm', true);
        break;
      case 'supervisorctl':
        comments.push(
          `[supervisorctl] is supervisorctl's own (where it connects): keep it for supervisorctl; tm -c THIS_FILE finds the daemon from the server section`,
        );
        break;
      default:
        if (/^(inet|unix)_http_server(:|$)/.test(section.name)) break;
        r.note(null, 'not a section Supervisor 4.2.5 knows: it ignores it', true);
    }
  }
  return comments;
}
