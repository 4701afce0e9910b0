import type { ConfigProblem } from '../domain/errors.js';
import type { Parsed } from './datatypes.js';
import { folderOf, toFixed, toTaskmaster, type Context, type Scope } from './expansions.js';
import { iniGet, type IniDocument, type IniSection, type IniValue } from './ini.js';
import type { Note } from './notes.js';

/** What every section reader shares: the document, where problems and notes go. */
export type Conversion = {
  doc: IniDocument;
  ctx: Context;
  problems: ConfigProblem[];
  notes: Note[];
};

/** A value read from a section: its text after expansion, and where it was (null: the default). */
export type Read<T> = { value: T; at: IniValue | null };

/**
 * Reads one section's options as Supervisor's `get` does (the value, or the default, expanded),
 * reports a value Supervisor would refuse at its line, and remembers which keys were read so
 * that the rest can be listed as not carried over.
 */
export class SectionReader {
  private readonly used = new Set<string>();
  readonly where: string;

  constructor(
    readonly cx: Conversion,
    readonly section: IniSection,
    /** The program its notes go to (its YAML block), if any. */
    readonly program?: string,
  ) {
    this.where = `[${section.name}]`;
  }

  /** The option as written, or undefined; marks it read. */
  raw(key: string): IniValue | undefined {
    this.used.add(key);
    return iniGet(this.cx.doc, this.section, key);
  }

  isSet(key: string): boolean {
    return iniGet(this.cx.doc, this.section, key) !== undefined;
  }

  /** The folder `%(here)s` means for `at` (the section's file for a default). */
  hereOf(at: IniValue | null | undefined): string {
    return folderOf(at?.file ?? this.section.file);
  }

  /** The option worked out here (a key taskmaster does not expand), or undefined if refused. */
  fixed(key: string, scope: Scope, fallback: string): Read<string> | undefined {
    const at = this.raw(key) ?? null;
    const r = toFixed(at?.value ?? fallback, { ...scope, here: this.hereOf(at) }, this.cx.ctx);
    if ('error' in r) return this.refuse(at, key, r.error);
    for (const n of r.notes) this.note(key, n, false, at);
    return { value: r.text, at };
  }

  /** The option as a value taskmaster expands itself. */
  expanding(key: string, scope: Scope, fallback: string): Read<string> | undefined {
    const at = this.raw(key) ?? null;
    const r = toTaskmaster(at?.value ?? fallback, { ...scope, here: this.hereOf(at) }, this.cx.ctx);
    if ('error' in r) return this.refuse(at, key, r.error);
    return { value: r.text, at };
  }

  /** The option worked out here and read by a Supervisor type. */
  typed<T>(
    key: string,
    scope: Scope,
    fallback: string,
    parse: (text: string) => Parsed<T>,
  ): Read<T> | undefined {
    const text = this.fixed(key, scope, fallback);
    if (text === undefined) return undefined;
    const parsed = parse(text.value);
    if (!parsed.ok) {
      return this.refuse(
        text.at,
        key,
        `expected ${parsed.expected}, found ${JSON.stringify(text.value)}`,
      );
    }
    return { value: parsed.value, at: text.at };
  }

  /** A value Supervisor refuses: a problem at its line (or at the section for a default). */
  refuse(
    at: IniValue | null,
    key: string | null,
    message: string,
    hint: string | null = null,
  ): undefined {
    this.cx.problems.push({
      file: at?.file ?? this.section.file,
      line: at?.line ?? this.section.line,
      col: at?.col ?? 1,
      keyPath: key === null ? this.where : `${this.where} ${key}`,
      message,
      hint,
    });
    return undefined;
  }

  note(key: string | null, message: string, isDropped: boolean, at?: IniValue | null): void {
    const value = at ?? (key === null ? undefined : iniGet(this.cx.doc, this.section, key));
    this.cx.notes.push({
      file: value?.file ?? this.section.file,
      line: value?.line ?? this.section.line,
      where: key === null ? this.where : `${this.where} ${key}`,
      message,
      isDropped,
      ...(this.program !== undefined && { program: this.program }),
    });
  }

  /** Every key of the section nobody read: Supervisor 4.2.5 ignores them, and so must we, said. */
  listUnread(): void {
    // [DEFAULT]'s keys are seen in every section: only the section's own are listed
    for (const key of this.section.options.keys()) {
      if (this.used.has(key)) continue;
      this.note(key, 'unknown to Supervisor 4.2.5, which ignores it', true);
    }
  }
}
