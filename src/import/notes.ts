import * as path from 'node:path';

/**
 * Something the conversion says about a Supervisor setting: what it could not carry over
 * (`isDropped`: listed on stderr and in the YAML), or what means something else in taskmaster
 * (a comment in the YAML beside the key it concerns).
 */
export type Note = {
  file: string;
  line: number;
  /** `[program:web] process_name`, or the section alone. */
  where: string;
  message: string;
  isDropped: boolean;
  /** The program whose YAML block the comment goes to; absent: the top of the file. */
  program?: string;
};

/** `supervisord.conf:12: [program:web] process_name: …`, a line of stderr's list. */
export function formatNote(note: Note, cwd: string): string {
  return `${shortPath(note.file, cwd)}:${note.line}: ${note.where}: ${note.message}`;
}

/** A path relative to `cwd` when it lies below it, else as it is. */
export function shortPath(file: string, cwd: string): string {
  const relative = path.relative(cwd, file);
  return relative.startsWith('..') || path.isAbsolute(relative) ? file : relative;
}
