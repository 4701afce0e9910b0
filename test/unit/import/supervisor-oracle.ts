import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { constants } from 'node:os';
import * as path from 'node:path';
import { parse } from 'yaml';
import { splitCommand } from '../../../src/config/split-command.js';
import { formatField, parseFormat } from '../../../src/import/format-string.js';
import { fixture } from '../../helpers/test-daemon.js';

/**
 * Supervisor's own parser as the judge of tm import: `supervisor-oracle.py` prints what
 * supervisord 4.2.5 would run for a config, and `startedBy` turns a converted YAML into the
 * same list, each program's values expanded per instance as taskmaster expands them.
 */

const PYTHON = '/usr/bin/python3';
const SUPERVISOR = '/usr/lib/python3/dist-packages/supervisor/options.py';
/** Debian's supervisor package is there (the CI installs it): the oracle can run. */
export const HAS_SUPERVISOR = existsSync(PYTHON) && existsSync(SUPERVISOR);

type OracleProcess = {
  kind: string;
  command: string;
  directory: string | null;
  env: Record<string, string>;
  umask: number | null;
  stdout: string | null;
  stderr: string | null;
  redirect_stderr: boolean;
  autostart: boolean;
  autorestart: string;
  exitcodes: number[];
  startsecs: number;
  startretries: number;
  stopsignal: number;
  stopwaitsecs: number;
  priority: number;
};
type Oracle = {
  processes: OracleProcess[];
  nodaemon: boolean;
  umask: number;
  directory: string | null;
  childlogdir: string;
};

/** One process as both sides describe it; output files are 'AUTO', null or a path. */
export type Started = {
  argv: string[];
  directory: string | null;
  env: Record<string, string>;
  umask: number | null;
  stdout: string | null;
  stderr: string | null;
  autostart: boolean;
  autorestart: string;
  exitcodes: number[];
  startsecs: number;
  startretries: number;
  stopsignal: number;
  stopwaitsecs: number;
  priority: number;
};

/** What supervisord would run, or its error when it would refuse the config. */
export function runOracle(conf: string): { oracle: Oracle } | { error: string } {
  const r = spawnSync(PYTHON, [fixture('supervisor/supervisor-oracle.py'), conf], {
    encoding: 'utf8',
  });
  if (r.status !== 0) return { error: r.stderr };
  return { oracle: JSON.parse(r.stdout) as Oracle };
}

/** Supervisor's programs (not its event listeners or FastCGI programs), sorted. */
export function startedBySupervisor(o: Oracle): Started[] {
  return sorted(
    o.processes
      .filter((p) => p.kind === 'ProcessConfig')
      .map((p) => ({
        argv: splitCommand(p.command),
        directory: p.directory ?? (o.nodaemon ? null : o.directory),
        env: p.env,
        umask: p.umask ?? (o.nodaemon ? null : o.umask),
        stdout: p.stdout,
        stderr: p.redirect_stderr ? p.stdout : p.stderr,
        autostart: p.autostart,
        autorestart: p.autorestart,
        exitcodes: p.exitcodes,
        startsecs: p.startsecs,
        startretries: p.startretries,
        stopsignal: p.stopsignal,
        stopwaitsecs: p.stopwaitsecs,
        priority: p.priority,
      })),
  );
}

type YamlProgram = {
  cmd: string;
  numprocs?: number;
  autostart?: boolean;
  autorestart?: string;
  exitcodes?: number[];
  starttime?: number;
  startretries?: number;
  stopsignal?: string;
  stoptime?: number;
  stdout?: string | { file: string };
  stderr?: string | { file: string };
  env?: Record<string, string>;
  workingdir?: string;
  umask?: string;
  priority?: number;
};

/**
 * Every instance the converted config runs. `dir` is the YAML's folder (taskmaster's
 * `%(here)s`); a file in `childlogdir` named like tm import's AUTO files reads as 'AUTO'.
 */
export function startedByTaskmaster(yaml: string, dir: string, childlogdir: string): Started[] {
  const doc = parse(yaml) as { programs: Record<string, YamlProgram> };
  const out: Started[] = [];
  for (const [name, p] of Object.entries(doc.programs ?? {})) {
    const numprocs = p.numprocs ?? 1;
    for (let i = 0; i < numprocs; i++) {
      const x = (text: string) => expand(text, { name, i, numprocs, here: dir });
      const file = (o: YamlProgram['stdout']) => {
        if (o === undefined) return null;
        const f = x(typeof o === 'string' ? o : o.file);
        const isAuto = path.dirname(f) === childlogdir && /-(stdout|stderr)\.log$/.test(f);
        return isAuto ? 'AUTO' : f;
      };
      out.push({
        argv: splitCommand(x(p.cmd)),
        directory: p.workingdir === undefined ? null : x(p.workingdir),
        env: Object.fromEntries(Object.entries(p.env ?? {}).map(([k, v]) => [k, x(v)])),
        umask: p.umask === undefined ? null : parseInt(p.umask, 8),
        stdout: file(p.stdout),
        stderr: file(p.stderr),
        autostart: p.autostart ?? true,
        autorestart: p.autorestart ?? 'unexpected',
        exitcodes: p.exitcodes ?? [0],
        startsecs: p.starttime ?? 1,
        startretries: p.startretries ?? 3,
        stopsignal: constants.signals[`SIG${p.stopsignal ?? 'TERM'}` as NodeJS.Signals],
        stopwaitsecs: p.stoptime ?? 10,
        priority: p.priority ?? 999,
      });
    }
  }
  return sorted(out);
}

/** taskmaster's expansions as the issue defines them, for one instance. */
function expand(
  text: string,
  v: { name: string; i: number; numprocs: number; here: string },
): string {
  const parts = parseFormat(text);
  if (!Array.isArray(parts)) throw new Error(`${text}: ${parts.error}`);
  return parts
    .map((part) => {
      if ('text' in part) return part.text;
      const f = part.field;
      const values: Record<string, string | number | undefined> = {
        program_name: v.name,
        process_num: v.i,
        numprocs: v.numprocs,
        here: v.here,
        host_node_name: hostname(),
      };
      const value = f.name.startsWith('ENV_') ? process.env[f.name.slice(4)] : values[f.name];
      if (value === undefined) throw new Error(`${text}: taskmaster has no ${f.name}`);
      const r = formatField(f, value);
      if ('error' in r) throw new Error(r.error);
      return r.text;
    })
    .join('');
}

function sorted(list: Started[]): Started[] {
  return list.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}
