import { suggestSimilar } from '../domain/suggest-similar.js';

/**
 * Supervisor's expansions (`%(program_name)s`, `%(process_num)02d`, `%%`), which are Python's
 * `%` operator applied to a dict (options.py `expand`): the same grammar, the same printf flags,
 * and the same refusals — an unknown name, `d` on text, a `%` followed by anything else.
 * Python also takes the conversions r, a, x, o, e, f, g and c; none has a use in a config, so
 * they are refused by name rather than half-copied (repr quoting rules, float formats).
 */

/** One `%(name)…` of a value: what it names, how it formats, and where it is written. */
export type Reference = {
  name: string;
  /** Python's flags, any of `-`, `+`, space, `#` and `0`, as written. */
  flags: string;
  width: number | null;
  precision: number | null;
  conversion: 's' | 'd';
  /** The reference as written, for messages: `%(process_num)02d`. */
  source: string;
};

/** A value split into literal text and references; a value without `%` is one string. */
export type Template = readonly (string | Reference)[];

/** What a name holds: process_num and numprocs are numbers, everything else is text. */
export type NameKind = 'text' | 'number';

export type ExpansionProblem = { message: string; hint: string | null };

const CONVERSIONS: Record<string, 's' | 'd'> = { s: 's', d: 'd', i: 'd', u: 'd' };
/** Python's other conversions: refused as unsupported, not as unknown characters. */
const PYTHON_ONLY = 'raxXoeEfFgGc';
/** Flags, width, precision and a length modifier (Python accepts h, l and L and ignores them). */
const FORMAT = /^([-+ #0]*)([0-9]*)(?:\.([0-9]*))?[hlL]?/;
/** A width past this is a typo, and would make one value megabytes long. */
const MAX_WIDTH = 1000;

const LITERAL_HINT = 'write %% for a literal %';

/** The template a value is; a problem when a `%` starts something that is not an expansion. */
export function parseTemplate(text: string): Template | ExpansionProblem {
  if (!text.includes('%')) return [text];
  const parts: (string | Reference)[] = [];
  let literal = '';
  let i = 0;
  while (i < text.length) {
    const at = text.indexOf('%', i);
    if (at === -1) {
      literal += text.slice(i);
      break;
    }
    literal += text.slice(i, at);
    const next = text[at + 1];
    if (next === '%') {
      literal += '%';
      i = at + 2;
      continue;
    }
    if (next !== '(') {
      return {
        message: `a "%" at character ${at + 1} is not followed by "(name)" or "%"`,
        hint: `${LITERAL_HINT}, or %(name)s for an expansion like %(program_name)s`,
      };
    }
    const close = text.indexOf(')', at + 2);
    if (close === -1) {
      return {
        message: `the "%(" at character ${at + 1} has no closing ")"`,
        hint: `close the name, as in %(program_name)s; ${LITERAL_HINT}`,
      };
    }
    const reference = parseReference(text, at, close);
    if ('message' in reference) return reference;
    if (literal !== '') parts.push(literal);
    literal = '';
    parts.push(reference);
    i = at + reference.source.length;
  }
  if (literal !== '') parts.push(literal);
  return parts;
}

function parseReference(text: string, at: number, close: number): Reference | ExpansionProblem {
  const name = text.slice(at + 2, close);
  const format = FORMAT.exec(text.slice(close + 1))!;
  const end = close + 1 + format[0].length;
  const letter = text[end];
  const written = text.slice(at, end + 1);
  const hint =
    'end it with s for text or d for a number, as in %(program_name)s or %(process_num)02d';
  if (letter === undefined) return { message: `${written} has no conversion`, hint };
  const conversion = CONVERSIONS[letter];
  if (conversion === undefined) {
    const what = PYTHON_ONLY.includes(letter)
      ? `the conversion "${letter}" is not supported`
      : `"${letter}" is not a conversion`;
    return { message: `${written}: ${what}`, hint };
  }
  const width = format[2] === '' ? null : Number(format[2]);
  // "%.d" is precision 0, as in C and Python
  const precision = format[3] === undefined ? null : Number(format[3] || '0');
  if ((width ?? 0) > MAX_WIDTH || (precision ?? 0) > MAX_WIDTH) {
    return { message: `${written}: a width or precision over ${MAX_WIDTH}`, hint: null };
  }
  return { name, flags: format[1]!, width, precision, conversion, source: written };
}

export function references(template: Template): Reference[] {
  return template.filter((p): p is Reference => typeof p !== 'string');
}

/**
 * The first reference of `template` that cannot be expanded, said with a did-you-mean: a name
 * `kindOf` does not know, or `d` on text. Which names exist and what they hold never depends on
 * the instance, so a template checked once expands for every instance.
 */
export function checkTemplate(
  template: Template,
  kindOf: (name: string) => NameKind | undefined,
  candidates: () => readonly string[],
  unknownHint: (name: string) => string,
  /** Why a name is unknown when that is known for sure: said instead of a did-you-mean. */
  reason: (name: string) => string | null = () => null,
): ExpansionProblem | null {
  for (const ref of references(template)) {
    const kind = kindOf(ref.name);
    if (kind === undefined) {
      const why = reason(ref.name);
      if (why !== null) return { message: `unknown expansion ${ref.source}`, hint: why };
      const similar = suggestName(ref.name, candidates());
      return {
        message: `unknown expansion ${ref.source}`,
        hint:
          similar === null
            ? unknownHint(ref.name)
            : `did you mean ${ref.source.replace(`(${ref.name})`, `(${similar})`)}?`,
      };
    }
    if (ref.conversion === 'd' && kind === 'text') {
      return {
        message: `${ref.source}: d formats a number, and ${ref.name} is text`,
        hint: `write ${ref.source.slice(0, -1)}s`,
      };
    }
  }
  return null;
}

function suggestName(name: string, candidates: readonly string[]): string | null {
  const folded = name.toLowerCase();
  const sameLetters = candidates.find((c) => c.toLowerCase() === folded);
  if (sameLetters !== undefined) return sameLetters;
  // `%(HOME)s` for `%(ENV_HOME)s`: the prefix is the part Supervisor users forget
  if (candidates.includes(`ENV_${name}`)) return `ENV_${name}`;
  if (!name.startsWith('ENV_')) return suggestSimilar(name, candidates);
  // variables are compared without the prefix, which would make any two of them look alike
  const variables = candidates.filter((c) => c.startsWith('ENV_')).map((c) => c.slice(4));
  const similar = suggestSimilar(name.slice(4), variables);
  return similar === null ? null : `ENV_${similar}`;
}

/** The text of a checked template, each reference formatted as Python's `%` would. */
export function renderTemplate(
  template: Template,
  valueOf: (name: string) => string | number,
): string {
  let out = '';
  for (const part of template)
    out += typeof part === 'string' ? part : format(part, valueOf(part.name));
  return out;
}

function format(ref: Reference, value: string | number): string {
  const isLeft = ref.flags.includes('-');
  if (ref.conversion === 's') {
    // widths count characters, as Python's do, not UTF-16 units
    let chars = [...String(value)];
    if (ref.precision !== null) chars = chars.slice(0, ref.precision);
    return pad(chars.join(''), chars.length, ref.width, isLeft);
  }
  const n = value as number;
  const sign = n < 0 ? '-' : ref.flags.includes('+') ? '+' : ref.flags.includes(' ') ? ' ' : '';
  const digits = String(Math.abs(n)).padStart(ref.precision ?? 0, '0');
  const width = ref.width ?? 0;
  if (!isLeft && ref.flags.includes('0') && width > sign.length + digits.length) {
    return sign + digits.padStart(width - sign.length, '0');
  }
  return pad(sign + digits, sign.length + digits.length, ref.width, isLeft);
}

function pad(text: string, length: number, width: number | null, isLeft: boolean): string {
  if (width === null || width <= length) return text;
  const spaces = ' '.repeat(width - length);
  return isLeft ? text + spaces : spaces + text;
}
