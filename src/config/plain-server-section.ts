import * as path from 'node:path';
import { SERVER_DEFAULTS } from './defaults.js';
import type { ServerSection } from './types.js';

/** What tm needs of the server section to reach the daemon. */
export type ServerAddress = Pick<ServerSection, 'host' | 'port' | 'tokenfile'>;

/**
 * The server section read without a YAML parser, when its lines are of the plain shape nearly
 * every config has (`server:`, then `host`, `port` and `tokenfile` one a line, each once, at one
 * indent, with a plain or simply quoted scalar and maybe a comment), and each value is one the
 * full reader accepts. Null for anything else: the caller then parses the section with the YAML
 * package (config/load.ts), which alone gives a problem its message and its place. Loading
 * that package costs tm more than the rest of a `tm status` (ARCHITECTURE.md, Clients), so this
 * must give the same answer as loadServerSection wherever it answers at all; a unit test holds
 * the two together.
 *
 * `section` is the text cutServerSection cut out of `file`; null when the file has none (the
 * defaults).
 */
export function plainServerSection(section: string | null, file: string): ServerAddress | null {
  const dir = path.dirname(path.resolve(file));
  const values = section === null ? new Map<string, Scalar>() : plainLines(section);
  if (values === null) return null;
  const host = values.get('host');
  const port = values.get('port');
  const tokenfile = values.get('tokenfile');
  const portNumber = port === undefined ? SERVER_DEFAULTS.port : integer(port);
  if (portNumber === null) return null;
  const hostText = host === undefined ? SERVER_DEFAULTS.host : text(host);
  const tokenText = tokenfile === undefined ? SERVER_DEFAULTS.tokenfile : text(tokenfile);
  if (hostText === null || tokenText === null) return null;
  return { host: hostText, port: portNumber, tokenfile: path.resolve(dir, tokenText) };
}

type Scalar = { text: string; isQuoted: boolean };

const HEADER = /^server[ \t]*:(?:[ \t]+(?:#.*)?)?\r?$/;
const BLANK = /^[ \t]*(?:#.*)?\r?$/;
/** `  key: value  # comment`; the value plain (no space, quote or #), or quoted without escapes. */
const ENTRY =
  /^( +)(host|port|tokenfile)[ \t]*:[ \t]+(?:"([^"\\\p{Cc}]*)"|'([^'\p{Cc}]*)'|([^\s"'#]+))(?:[ \t]+(?:#.*)?)?\r?$/u;
/**
 * A plain scalar that cannot be anything but a string in YAML: no indicator at its start or
 * end (`-`, `?`, `&`, `*`, `!`, `|`, `>`, `%`, `@`, a trailing `:` making it a key, `,[]{}`).
 */
const PLAIN = /^[A-Za-z0-9_./~:](?:[A-Za-z0-9_./~:+@=-]*[A-Za-z0-9_./~+@=-])?$/;

function plainLines(section: string): Map<string, Scalar> | null {
  const lines = section.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  if (!HEADER.test(lines[0] ?? '')) return null;
  const values = new Map<string, Scalar>();
  let indent: string | null = null;
  for (const line of lines.slice(1)) {
    if (BLANK.test(line)) continue;
    const m = ENTRY.exec(line);
    if (m === null) return null;
    const [, lead, key, double, single, plain] = m as unknown as [
      string,
      string,
      string,
      ...(string | undefined)[],
    ];
    if ((indent ??= lead) !== lead || values.has(key)) return null;
    if (plain !== undefined && !PLAIN.test(plain)) return null;
    values.set(key, { text: double ?? single ?? plain ?? '', isQuoted: plain === undefined });
  }
  // `server:` alone is a null section: the full reader says what it makes of that
  return values.size === 0 ? null : values;
}

// What YAML 1.2's core schema (the yaml package's default) reads as something other than a
// string: null, booleans, integers and floats.
const NOT_A_STRING = [
  /^(?:~|[Nn]ull|NULL)$/,
  /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/,
  /^[-+]?[0-9]+$/,
  /^0o[0-7]+$/,
  /^0x[0-9a-fA-F]+$/,
  /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/,
  /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/,
];

function text(s: Scalar): string | null {
  if (s.text === '') return null;
  if (!s.isQuoted && NOT_A_STRING.some((re) => re.test(s.text))) return null;
  return s.text;
}

/** A port as the full reader takes it: an integer from 0 to 65535, written in decimal. */
function integer(s: Scalar): number | null {
  if (s.isQuoted || !/^[0-9]{1,5}$/.test(s.text)) return null;
  const n = Number(s.text);
  return n <= 65535 ? n : null;
}
