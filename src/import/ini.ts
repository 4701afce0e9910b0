import type { ConfigProblem } from '../domain/errors.js';

/**
 * An INI file read as Supervisor 4.2.5 reads it: Python's `RawConfigParser` with
 * `inline_comment_prefixes=(';', '#')` and `strict=False` (options.py `UnhosedConfigParser`), so
 * that a converted config means what supervisord made of the same text.
 *
 * - full-line comments start with `;` or `#` (after any indent); an inline comment is a `;` or
 *   `#` at the start of the line or after whitespace (`a;b` keeps its `;`);
 * - `key = value` or `key: value`, split at the first `=` or `:`; keys are lower-cased, section
 *   names are not;
 * - a line indented deeper than its option's line continues the value (joined with newlines);
 *   blank lines inside a value are kept, then trailing ones dropped;
 * - a section or an option given twice is merged, the later value winning; `[DEFAULT]` options
 *   are seen in every section.
 */

/** An option's value and where it was written (the line of its key). */
export type IniValue = { value: string; file: string; line: number; col: number };

export type IniSection = {
  name: string;
  /** Where the section was first opened. */
  file: string;
  line: number;
  options: Map<string, IniValue>;
};

export type IniDocument = {
  /** In the order each section first appeared, `[DEFAULT]` excepted. */
  sections: Map<string, IniSection>;
  defaults: Map<string, IniValue>;
};

export function emptyIni(): IniDocument {
  return { sections: new Map(), defaults: new Map() };
}

/** The value of `key` in `section` (or `[DEFAULT]`), as Python's `get` finds it. */
export function iniGet(doc: IniDocument, section: IniSection, key: string): IniValue | undefined {
  return section.options.get(key) ?? doc.defaults.get(key);
}

const SECTION = /^\[(.+)\]/;
const OPTION = /^(.*?)\s*([=:])\s*(.*)$/;
const INLINE_PREFIXES = [';', '#'] as const;

/**
 * Reads `text` (the content of `file`) into `doc`, as `RawConfigParser.read` adds a file to
 * what it has read before. Returns the problems (lines that are neither a section, an option
 * nor a comment); Python reads on past them and refuses the file at its end, so all are said.
 */
export function readIni(doc: IniDocument, text: string, file: string): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  let section: Map<string, IniValue> | null = null;
  let sectionName = '';
  // the option lines of a value being read, with the option's name, null once a header is read
  let current: { name: string; lines: string[]; at: IniValue } | null = null;
  let indentLevel = 0;
  const finish = (): void => {
    if (current === null || section === null) return;
    const value = current.lines.join('\n').trimEnd();
    section.set(current.name, { ...current.at, value });
  };
  const lines = text.split(/\r\n|\r|\n/);
  for (const [i, line] of lines.entries()) {
    const lineNo = i + 1;
    const commentStart = /^\s*[;#]/.test(line) ? 0 : inlineCommentStart(line);
    const value = line.slice(0, commentStart ?? line.length).trim();
    if (value === '') {
      // a blank line belongs to the value being read; a comment line does not end it either
      if (commentStart === null && current !== null) current.lines.push('');
      continue;
    }
    const indent = line.search(/\S/);
    if (current !== null && indent > indentLevel) {
      current.lines.push(value);
      continue;
    }
    indentLevel = indent;
    const header = SECTION.exec(value);
    if (header !== null) {
      finish();
      current = null;
      sectionName = header[1]!;
      section = openSection(doc, sectionName, file, lineNo);
      continue;
    }
    if (section === null) {
      problems.push(
        problem(file, lineNo, 1, `expected a [section] header first, found ${q(value)}`),
      );
      // Python stops reading at once here (MissingSectionHeaderError)
      return problems;
    }
    const option = OPTION.exec(value);
    const name = option?.[1]?.trimEnd().toLowerCase() ?? '';
    if (option === null || name === '') {
      problems.push(
        problem(
          file,
          lineNo,
          indent + 1,
          `expected "key = value" in [${sectionName}], found ${q(value)}`,
        ),
      );
      continue;
    }
    finish();
    const col = line.indexOf(option[3]!, indent + option[1]!.length) + 1;
    current = { name, lines: [option[3]!], at: { value: '', file, line: lineNo, col } };
  }
  finish();
  return problems;
}

function openSection(
  doc: IniDocument,
  name: string,
  file: string,
  line: number,
): Map<string, IniValue> {
  if (name === 'DEFAULT') return doc.defaults;
  const known = doc.sections.get(name);
  if (known !== undefined) return known.options;
  const options = new Map<string, IniValue>();
  doc.sections.set(name, { name, file, line, options });
  return options;
}

/**
 * Where an inline comment starts, found as Python 3.11's `_read` finds it: in rounds, each
 * looking at the next occurrence of every prefix, until a round finds one at the start of the
 * line or after whitespace (so a valid `#` may win over an earlier `;` found a round later).
 */
function inlineCommentStart(line: string): number | null {
  let from = new Map<string, number>(INLINE_PREFIXES.map((p) => [p, -1]));
  while (from.size > 0) {
    const next = new Map<string, number>();
    let start: number | null = null;
    for (const [prefix, index] of from) {
      const at = line.indexOf(prefix, index + 1);
      if (at === -1) continue;
      next.set(prefix, at);
      if (at === 0 || /\s/.test(line[at - 1]!)) start = Math.min(start ?? at, at);
    }
    if (start !== null) return start;
    from = next;
  }
  return null;
}

function problem(file: string, line: number, col: number, message: string): ConfigProblem {
  return { file, line, col, keyPath: '', message, hint: null };
}

function q(text: string): string {
  return JSON.stringify(text);
}
