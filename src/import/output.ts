/** The taskmaster config being written: keys in order, each with the comments above it. */

export type Entry = {
  key: string;
  value: unknown;
  /** Lines of comment above the key (without the `#`). */
  comments: string[];
  /** Written `{ a: 1, b: 2 }` on one line. */
  isFlow?: boolean;
};

export type ProgramBlock = {
  name: string;
  /** Where its Supervisor section was, for the first comment of the block. */
  source: { section: string; file: string; line: number };
  comments: string[];
  entries: Entry[];
};

export type Output = {
  /** The comment at the top of the file. */
  header: string[];
  daemon: Entry[];
  server: Entry[];
  programs: ProgramBlock[];
  /** Comments above `programs:` (sections that are not programs: event listeners …). */
  programsComments: string[];
  /** A password is written in it: the file is created 0600. */
  hasSecrets: boolean;
};

export function entry(key: string, value: unknown, ...comments: string[]): Entry {
  return { key, value, comments };
}
