import { boolean, byteSize, integer, octal } from './datatypes.js';
import { parseEnvironment } from './environment.js';
import { HOST_NAMES, NO_NAMES, type EnvValue, type Scope } from './expansions.js';
import { escapePercent } from './format-string.js';
import { sizeText } from './convert-output-file.js';
import type { ProgramDefaults } from './convert-program.js';
import type { IniSection } from './ini.js';
import { entry, type Entry } from './output.js';
import { SectionReader, type Conversion } from './section-reader.js';

export type Supervisord = { daemon: Entry[]; defaults: ProgramDefaults; comments: string[] };

/**
 * `[supervisord]` (options.py `ServerOptions.read_config`): its log file and pid file become
 * the `daemon` section; its environment, umask, directory and childlogdir are what each program
 * gets; the rest is taskmasterd's own business (said where it differs).
 */
export function convertSupervisord(cx: Conversion, section: IniSection): Supervisord | undefined {
  const r = new SectionReader(cx, section);
  const scope: Scope = { here: '', names: NO_NAMES };
  const problemsBefore = cx.problems.length;
  const comments: string[] = [];
  const dropIfSet = (key: string, message: string): void => {
    if (r.raw(key) !== undefined) r.note(key, message, true);
  };
  dropIfSet(
    'minfds',
    'taskmasterd does not raise its descriptor limit: set it where it is started (ulimit -n, LimitNOFILE=)',
  );
  dropIfSet(
    'minprocs',
    'taskmasterd does not raise its process limit: set it where it is started (ulimit -u, LimitNPROC=)',
  );
  dropIfSet(
    'user',
    'taskmasterd does not switch to another user: start it as that user (each program may have its own user)',
  );
  dropIfSet('loglevel', "taskmasterd's log has one level of detail");
  dropIfSet('identifier', 'taskmasterd has no identifier setting');
  const silent = r.typed('silent', scope, 'false', boolean);
  if (silent?.value === true)
    r.note('silent', 'taskmasterd in the foreground always echoes its log to stderr', true);
  const stripAnsi = r.typed('strip_ansi', scope, 'false', boolean);
  if (stripAnsi?.value === true)
    r.note('strip_ansi', 'programs write their files themselves: nothing is stripped', true);
  const nodaemon = r.typed('nodaemon', scope, 'false', boolean);
  if (nodaemon?.value === false) {
    comments.push(
      'supervisord detached itself (nodaemon = false); taskmasterd runs in the foreground unless started with --daemon',
    );
  }
  const isDaemonizing = nodaemon?.value === false;
  const umask = r.typed('umask', scope, '022', octal);
  const directory = r.isSet('directory') ? r.fixed('directory', scope, '') : undefined;
  if (!isDaemonizing && r.isSet('umask'))
    r.note('umask', 'supervisord sets it only when it detaches (nodaemon = true here)', true);
  if (!isDaemonizing && directory !== undefined)
    r.note(
      'directory',
      'supervisord moves there only when it detaches (nodaemon = true here)',
      true,
    );
  const childlogdir = r.fixed('childlogdir', scope, tempDir(cx.ctx.env));
  const nocleanup = r.typed('nocleanup', scope, 'false', boolean);
  const envAt = r.raw('environment');
  let env: Map<string, EnvValue> = new Map();
  if (envAt !== undefined) {
    const parsed = parseEnvironment(
      envAt.value,
      { here: r.hereOf(envAt), names: HOST_NAMES },
      cx.ctx,
    );
    if (parsed instanceof Map) env = parsed;
    else r.refuse(envAt, 'environment', parsed.error);
  }

  const daemon: Entry[] = [];
  const log = r.fixed('logfile', scope, 'supervisord.log');
  const maxBytes = r.typed('logfile_maxbytes', scope, '50MB', byteSize);
  const backups = r.typed('logfile_backups', scope, '10', integer);
  if (log !== undefined && maxBytes !== undefined && backups !== undefined) {
    if (log.at === null) {
      daemon.push(
        entry(
          'logfile',
          'taskmaster.log',
          "Supervisor's default was supervisord.log in supervisord's working directory",
        ),
      );
    } else if (log.value === 'syslog') {
      r.note(
        'logfile',
        'taskmasterd cannot log to syslog; it logs to taskmaster.log beside this file',
        true,
      );
    } else {
      const file = home(log.value, cx, r, 'logfile');
      const isLimitSet = maxBytes.at !== null || backups.at !== null;
      daemon.push(
        isLimitSet
          ? {
              key: 'logfile',
              value: { file, maxbytes: sizeText(maxBytes.value), backups: backups.value },
              comments: [],
              isFlow: true,
            }
          : entry('logfile', file),
      );
    }
  }
  const pid = r.fixed('pidfile', scope, 'supervisord.pid');
  if (pid?.at) daemon.push(entry('pidfile', home(pid.value, cx, r, 'pidfile')));
  r.listUnread();
  if (cx.problems.length > problemsBefore) return undefined;
  return {
    daemon,
    comments,
    defaults: {
      umask: isDaemonizing ? (umask?.value ?? 0o22) : null,
      directory: isDaemonizing && directory !== undefined ? escapePercent(directory.value) : null,
      env,
      auto: {
        childlogdir: escapePercent(childlogdir?.value ?? '/tmp'),
        isNoCleanup: nocleanup?.value === true,
      },
    },
  };
}

/** Python's `tempfile.gettempdir()`, Supervisor's default childlogdir. */
function tempDir(env: Readonly<Record<string, string | undefined>>): string {
  return env.TMPDIR ?? env.TEMP ?? env.TMP ?? '/tmp';
}

/** `~` as supervisord's `expanduser` read it, with the $HOME where tm import runs (said). */
function home(file: string, cx: Conversion, r: SectionReader, key: string): string {
  if (file !== '~' && !file.startsWith('~/')) return file;
  const dir = cx.ctx.env.HOME;
  if (dir === undefined) return file;
  r.note(key, `~ written as ${dir}, the $HOME where tm import ran`, false);
  return dir + file.slice(1);
}
