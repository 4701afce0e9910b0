import { readFileSync } from 'node:fs';
import type { ConfigProblem } from '../domain/errors.js';
import { HOST_NAMES, folderOf, toFixed, type Context } from './expansions.js';
import { glob } from '../config/glob.js';
import { emptyIni, readIni, type IniDocument } from './ini.js';
import type { Note } from './notes.js';

/** The main file itself cannot be read: a usage mistake more than a config one. */
export class UnreadableFileError extends Error {
  override name = 'UnreadableFileError';
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`cannot read ${file}: ${reason}`);
  }
}

export type SupervisorSource = {
  doc: IniDocument;
  file: string;
  /** The files `[include]` added, in the order read. */
  included: string[];
};

/**
 * A supervisord.conf and the files its `[include] files` globs name, read into one document
 * as supervisord 4.2.5 does (options.py `ServerOptions.read_config`): the globs, split at
 * blanks, are relative to the folder of the main file, `%(here)s`, `%(host_node_name)s` and
 * `%(ENV_X)s` expanded in them; the matches of each glob are read in sorted order, each adding
 * its sections and options to what was read before. Only the main file's `[include]` counts.
 */
export function readSupervisorConfig(
  file: string,
  ctx: Context,
  problems: ConfigProblem[],
  notes: Note[],
): SupervisorSource {
  const doc = emptyIni();
  problems.push(...readIni(doc, readMain(file), file));
  const included: string[] = [];
  const include = doc.sections.get('include');
  if (include === undefined || problems.length > 0) return { doc, file, included };
  const files = include.options.get('files');
  if (files === undefined) {
    const message = '[include] has no files setting';
    problems.push({
      file,
      line: include.line,
      col: 1,
      keyPath: '',
      message,
      hint: 'add files = conf.d/*.conf',
    });
    return { doc, file, included };
  }
  const scope = { here: folderOf(file), names: HOST_NAMES };
  const expanded = toFixed(files.value, scope, ctx);
  if ('error' in expanded) {
    problems.push({
      ...at(files),
      keyPath: '[include] files',
      message: expanded.error,
      hint: null,
    });
    return { doc, file, included };
  }
  for (const note of expanded.notes) notes.push(note1(files, '[include] files', note, false));
  const base = folderOf(file);
  for (const pattern of expanded.text.split(/\s+/).filter((p) => p !== '')) {
    const matches = glob(pattern, base);
    if (matches.length === 0) {
      notes.push(
        note1(
          files,
          '[include] files',
          `no file matches ${pattern} (Supervisor only warns too)`,
          false,
        ),
      );
    }
    for (const match of matches) {
      let text: string;
      try {
        text = readFileSync(match, 'utf8');
      } catch (error) {
        // Python's RawConfigParser.read skips a file it cannot open, and so does supervisord
        const reason = (error as NodeJS.ErrnoException).code ?? String(error);
        notes.push(
          note1(files, '[include] files', `${match} skipped: it cannot be read (${reason})`, true),
        );
        continue;
      }
      included.push(match);
      problems.push(...readIni(doc, text, match));
    }
  }
  // an [include] in an included file lands in the same section, after its files were read
  for (const [key, value] of include.options) {
    if (value.file !== file) {
      const message = `not followed: Supervisor reads the [include] of the main file only`;
      notes.push(note1(value, `[include] ${key}`, message, true));
    }
  }
  return { doc, file, included };
}

function readMain(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'it is a folder'
          : String(code ?? error);
    throw new UnreadableFileError(file, reason);
  }
}

function at(v: {
  file: string;
  line: number;
  col: number;
}): Pick<ConfigProblem, 'file' | 'line' | 'col'> {
  return { file: v.file, line: v.line, col: v.col };
}

function note1(
  v: { file: string; line: number },
  where: string,
  message: string,
  isDropped: boolean,
): Note {
  return { file: v.file, line: v.line, where, message, isDropped };
}
