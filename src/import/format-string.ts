/**
 * Supervisor's `%(name)s` expansions: Python's `text % mapping` (options.py `expand`), read into
 * parts so that each name can be kept for taskmaster to expand, or replaced by its value here.
 */

export type FormatField = {
  name: string;
  flags: string;
  width: number | null;
  precision: number | null;
  /** The conversion letter: `s`, `d`, `x` … */
  conversion: string;
  /** As written, `%(process_num)02d`. */
  raw: string;
};

export type FormatPart = { text: string } | { field: FormatField };

const SPEC = /%(?:\(([^)]*)\)([#0\- +]*)(\d*)(?:\.(\d*))?[hlL]?([diouxXeEfFgGcrsa%])|%)/gy;

/** The parts of `text`, or what is wrong with it (Supervisor refuses such a value too). */
export function parseFormat(text: string): FormatPart[] | { error: string } {
  const parts: FormatPart[] = [];
  let literal = '';
  let i = 0;
  while (i < text.length) {
    const pc = text.indexOf('%', i);
    if (pc === -1) {
      literal += text.slice(i);
      break;
    }
    literal += text.slice(i, pc);
    SPEC.lastIndex = pc;
    const m = SPEC.exec(text);
    if (m === null) {
      return { error: `a "%" at column ${pc + 1} that is neither %(name)s nor %%` };
    }
    i = pc + m[0].length;
    if (m[0] === '%%' || m[5] === '%') {
      literal += '%';
      continue;
    }
    if (m[1] === undefined) {
      return { error: `a "%" at column ${pc + 1} that is neither %(name)s nor %%` };
    }
    if (literal !== '') parts.push({ text: literal });
    literal = '';
    parts.push({
      field: {
        name: m[1],
        flags: m[2]!,
        width: m[3] === '' ? null : Number(m[3]),
        precision: m[4] === undefined ? null : Number(m[4] === '' ? 0 : m[4]),
        conversion: m[5]!,
        raw: m[0],
      },
    });
  }
  if (literal !== '') parts.push({ text: literal });
  return parts;
}

/** A field formatted with its value as Python would, or why it cannot be. */
export function formatField(
  f: FormatField,
  value: string | number,
): { text: string } | { error: string } {
  let body: string;
  let sign = '';
  const isNumeric = 'diouxXf'.includes(f.conversion);
  if (f.conversion === 's') {
    body = String(value);
    if (f.precision !== null) body = body.slice(0, f.precision);
  } else if (isNumeric) {
    if (typeof value !== 'number') {
      return { error: `%(${f.name})${f.conversion} needs a number, and ${f.name} is text` };
    }
    const n = Math.abs(value);
    if (value < 0) sign = '-';
    else if (f.flags.includes('+')) sign = '+';
    else if (f.flags.includes(' ')) sign = ' ';
    const alt = f.flags.includes('#');
    switch (f.conversion) {
      case 'o':
        body = (alt ? '0o' : '') + n.toString(8);
        break;
      case 'x':
        body = (alt ? '0x' : '') + n.toString(16);
        break;
      case 'X':
        body = (alt ? '0X' : '') + n.toString(16).toUpperCase();
        break;
      case 'f':
        body = n.toFixed(f.precision ?? 6);
        break;
      default:
        body = String(Math.trunc(n));
    }
    if (f.conversion !== 'f' && f.precision !== null) body = body.padStart(f.precision, '0');
  } else {
    return { error: `the conversion %${f.conversion} of ${f.raw} is not supported by tm import` };
  }
  const width = f.width ?? 0;
  const length = sign.length + body.length;
  if (length >= width) return { text: sign + body };
  if (f.flags.includes('-')) return { text: (sign + body).padEnd(width) };
  if (isNumeric && f.flags.includes('0'))
    return { text: sign + body.padStart(width - sign.length, '0') };
  return { text: (sign + body).padStart(width) };
}

/** Text for a value taskmaster expands: a literal `%` is written `%%` there too. */
export function escapePercent(text: string): string {
  return text.replace(/%/g, '%%');
}
