import { boolean, byteSize, integer, logfileName } from './datatypes.js';
import { escapePercent } from './format-string.js';
import type { Scope } from './expansions.js';
import type { Entry } from './output.js';
import type { SectionReader } from './section-reader.js';

export type Stream = 'stdout' | 'stderr';

/** Where a stream's AUTO file goes: Supervisor's childlogdir, as taskmaster text. */
export type AutoLogs = { childlogdir: string; isNoCleanup: boolean };

/** One stream of a program: the file (taskmaster text) or null (discarded), and its limit. */
export type OutputFile = {
  file: string | null;
  maxBytes: number;
  backups: number;
  /** maxbytes or backups is written in the Supervisor config: the long form shows them. */
  isLimitSet: boolean;
  /** Supervisor's AUTO: a file in childlogdir. */
  isAuto: boolean;
  comments: string[];
};

/**
 * `stdout_logfile` and its `_maxbytes`, `_backups`, `_syslog`, `_capture_maxbytes` and
 * `_events_enabled` (options.py `_processes_from_section`): NONE and OFF discard, AUTO (the
 * default) is a file in childlogdir, `syslog` is the deprecated spelling of `_syslog = true`.
 */
export function readOutputFile(
  r: SectionReader,
  stream: Stream,
  scope: Scope,
  name: { supervisor: string; taskmaster: string },
  numprocs: number,
  auto: AutoLogs,
): OutputFile | undefined {
  const key = `${stream}_logfile`;
  const written = r.raw(key);
  const backups = r.typed(`${key}_backups`, scope, '10', integer);
  const maxBytes = r.typed(`${key}_maxbytes`, scope, '50MB', byteSize);
  const syslog = r.typed(`${stream}_syslog`, scope, 'false', boolean);
  const capture = r.typed(`${stream}_capture_maxbytes`, scope, '0', byteSize);
  const events = r.typed(`${stream}_events_enabled`, scope, 'false', boolean);
  if (backups === undefined || maxBytes === undefined || syslog === undefined) return undefined;
  if (capture !== undefined && capture.value !== 0) {
    r.note(
      capture.at === null ? null : `${stream}_capture_maxbytes`,
      'capture mode sends output to event listeners, which taskmaster does not have',
      true,
      capture.at,
    );
  }
  if (events?.value === true) {
    r.note(
      `${stream}_events_enabled`,
      'output events go to event listeners, which taskmaster does not have',
      true,
    );
  }
  // NONE, AUTO and syslog are spelled out: an expansion that gives one of them is taken as a path
  const kind = logfileName(written?.value ?? 'AUTO').kind;
  const base = {
    maxBytes: maxBytes.value,
    backups: backups.value,
    isLimitSet: maxBytes.at !== null || backups.at !== null,
    isAuto: kind === 'auto',
  };
  const isSyslog = syslog.value || kind === 'syslog';
  if (isSyslog) {
    r.note(
      kind === 'syslog' ? key : `${stream}_syslog`,
      'taskmaster cannot send output to syslog (a cmd can pipe it to logger)',
      true,
    );
  }
  switch (kind) {
    case 'none':
    case 'syslog':
      return { ...base, file: null, comments: [] };
    case 'auto': {
      const instance = numprocs > 1 ? '-%(process_num)d' : '';
      const file = `${auto.childlogdir}/${escapePercent(name.supervisor)}${instance}-${stream}.log`;
      const removed = auto.isNoCleanup ? '' : ', and removed the old ones';
      return {
        ...base,
        file,
        comments: [
          `${key} is AUTO: Supervisor made a new file in childlogdir at each start${removed}; taskmaster appends to this one`,
        ],
      };
    }
    case 'path': {
      const path = r.expanding(key, scope, '');
      if (path === undefined) return undefined;
      return { ...base, file: homeOf(path.value), comments: [] };
    }
  }
}

/** `~/x` is expanded by Supervisor (os.path.expanduser): the daemon's $HOME, for taskmaster. */
function homeOf(file: string): string {
  if (file === '~') return '%(ENV_HOME)s';
  return file.startsWith('~/') ? `%(ENV_HOME)s${file.slice(1)}` : file;
}

/** Both streams AUTO: one comment says it for both. */
export function mergeAutoComments(stdout: OutputFile, stderr: OutputFile, auto: AutoLogs): void {
  if (!stdout.isAuto || !stderr.isAuto) return;
  const removed = auto.isNoCleanup ? '' : ', and removed the old ones';
  stdout.comments = [
    `stdout_logfile and stderr_logfile are AUTO: Supervisor made new files in childlogdir at each start${removed}; taskmaster appends to these`,
  ];
  stderr.comments = [];
}

/** `stdout: PATH`, or the long form when Supervisor's config sets the rotation. */
export function outputEntry(
  stream: Stream,
  out: OutputFile,
  comments: string[] = [],
): Entry | null {
  if (out.file === null) return null;
  const all = [...out.comments, ...comments];
  if (!out.isLimitSet) return { key: stream, value: out.file, comments: all };
  return {
    key: stream,
    value: { file: out.file, maxbytes: sizeText(out.maxBytes), backups: out.backups },
    comments: all,
    isFlow: true,
  };
}

/** 52428800 as 50MB, as Supervisor's configs write it. */
export function sizeText(bytes: number): string | number {
  for (const [unit, size] of [
    ['GB', 1024 ** 3],
    ['MB', 1024 ** 2],
    ['KB', 1024],
  ] as const) {
    if (bytes !== 0 && bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return bytes;
}
