/**
 * Supervisor's value types (datatypes.py of supervisor 4.2.5), each returning the value or a
 * message saying what was expected, in the words of our own config errors.
 */

export type Parsed<T> = { ok: true; value: T } | { ok: false; expected: string };

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const no = <T>(expected: string): Parsed<T> => ({ ok: false, expected });

/** Python's `int()`: surrounding blanks, a sign and `_` between digits are accepted. */
export function integer(text: string): Parsed<number> {
  const t = text.trim();
  if (!/^[+-]?\d+(?:_\d+)*$/.test(t)) return no('an integer');
  const n = Number(t.replace(/_/g, ''));
  return Number.isSafeInteger(n) ? ok(n) : no('an integer');
}

const TRUTHY = ['yes', 'true', 'on', '1'];
const FALSY = ['no', 'false', 'off', '0'];

export function boolean(text: string): Parsed<boolean> {
  const t = text.toLowerCase();
  if (TRUTHY.includes(t)) return ok(true);
  if (FALSY.includes(t)) return ok(false);
  return no('true or false (or yes/no, on/off, 1/0)');
}

export type AutoRestart = 'always' | 'never' | 'unexpected';

/** `auto_restart`: a boolean, or `unexpected`. */
export function autoRestart(text: string): Parsed<AutoRestart> {
  const t = text.toLowerCase();
  if (TRUTHY.includes(t)) return ok('always');
  if (FALSY.includes(t)) return ok('never');
  if (t === 'unexpected') return ok('unexpected');
  return no('true, false or unexpected');
}

/** `list_of_exitcodes`: integers 0 to 255 separated by commas; empty is an empty list. */
export function exitCodes(text: string): Parsed<number[]> {
  if (text === '') return ok([]);
  const codes: number[] = [];
  for (const part of text.split(',')) {
    const n = integer(part);
    if (!n.ok || n.value < 0 || n.value > 255) return no('exit codes from 0 to 255 like 0,2');
    codes.push(n.value);
  }
  return ok(codes);
}

/** `octal_type`: Python's `int(x, 8)`, so `022`, `22` and `0o22` all mean 022. */
export function octal(text: string): Parsed<number> {
  const t = text.trim().replace(/^([+-]?)0o/i, '$1');
  if (!/^[+-]?[0-7]+(?:_[0-7]+)*$/.test(t)) return no('an octal number like 022');
  return ok(parseInt(t.replace(/_/g, ''), 8));
}

/** `byte_size`: a number of bytes, or with a kb, mb or gb suffix (1024-based, any case). */
export function byteSize(text: string): Parsed<number> {
  const match = /^(.*?)(kb|mb|gb)?$/i.exec(text)!;
  const n = integer(match[1]!);
  const unit = { kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 }[match[2]?.toLowerCase() ?? ''] ?? 1;
  return n.ok ? ok(n.value * unit) : no('a size like 50MB (bytes, or with KB, MB or GB)');
}

/** `logfile_name`: NONE/OFF discard, AUTO a file in childlogdir, syslog, or a path. */
export type LogTarget = { kind: 'none' } | { kind: 'auto' } | { kind: 'syslog' } | { kind: 'path' };

export function logfileName(text: string): LogTarget {
  const t = text.toLowerCase();
  if (t === 'none' || t === 'off') return { kind: 'none' };
  if (t === 'auto') return { kind: 'auto' };
  if (t === 'syslog') return { kind: 'syslog' };
  return { kind: 'path' };
}

/** `inet_address`: `PORT`, `HOST:PORT`, `*:PORT`; an empty host means every interface. */
export function inetAddress(text: string): Parsed<{ host: string; port: number }> {
  const colon = text.lastIndexOf(':');
  const host = colon === -1 ? '' : text.slice(0, colon).toLowerCase();
  const port = integer(colon === -1 ? text : text.slice(colon + 1));
  if (!port.ok || port.value < 1 || port.value > 65535) {
    return no('a port from 1 to 65535, or HOST:PORT like 127.0.0.1:9001');
  }
  return ok({ host: host === '*' ? '' : host, port: port.value });
}

/** `process_or_group_name`: blanks around are dropped; a space, `:` or `/` is refused. */
export function processOrGroupName(text: string): Parsed<string> {
  const name = text.trim();
  return /[ :/]/.test(name) ? no('a name without spaces, ":" or "/"') : ok(name);
}

/** `list_of_strings`: comma-separated, each trimmed; empty is an empty list. */
export function listOfStrings(text: string): string[] {
  return text === '' ? [] : text.split(',').map((s) => s.trim());
}
