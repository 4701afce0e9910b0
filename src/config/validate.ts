import * as path from 'node:path';
import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  type Document,
  type LineCounter,
  type ParsedNode,
  type Scalar,
  type YAMLMap,
  type YAMLSeq,
} from 'yaml';
import type { ConfigProblem } from '../domain/errors.js';
import { ConfigError } from '../domain/errors.js';
import { suggestSimilar } from '../domain/suggest-similar.js';
import {
  AUTORESTART,
  type AutoRestart,
  type FileLimit,
  type ProgramSpec,
} from '../domain/types.js';
import { DAEMON_DEFAULTS, EMAIL_DEFAULTS, PROGRAM_DEFAULTS, SERVER_DEFAULTS } from './defaults.js';
import { checkTemplate, parseTemplate, renderTemplate } from './expand.js';
import {
  currentInputs,
  envValue,
  expandProgram,
  type ExpansionInputs,
  type Written,
} from './expand-program.js';
import { PROGRAM_KEYS } from './program-keys.js';
import { parseSignal, SIGNAL_NAMES } from './signals.js';
import { indexDocument, type DocumentIndex } from './index-document.js';
import { XMLRPC_KEYS, xmlrpcSection, type XmlRpcSection, type XmlRpcValues } from './xmlrpc.js';
import {
  ALERT_EVENTS,
  type Config,
  type DaemonSection,
  type EmailSection,
  type Secret,
  type ServerSection,
} from './types.js';

// The keys of each section, exported so that a test keeps config.example.yaml in sync with them.
export const TOP_KEYS = ['programs', 'include', 'daemon', 'server', 'email'] as const;
/** A fragment named by `include` adds programs, and holds nothing else. */
export const FRAGMENT_KEYS = ['programs'] as const;
export { PROGRAM_KEYS };
export const DAEMON_KEYS = ['logfile', 'eventlog', 'pidfile', 'eventretention'] as const;
export const OUTPUT_KEYS = ['file', 'maxbytes', 'backups'] as const;
export const RETENTION_KEYS = ['perinstance', 'days'] as const;
export const SERVER_KEYS = ['host', 'port', 'tokenfile', 'xmlrpc'] as const;
export { XMLRPC_KEYS };
export const EMAIL_KEYS = ['smtp', 'from', 'to', 'events', 'digest'] as const;
export const SMTP_KEYS = ['host', 'port', 'secure', 'requiretls', 'ca', 'user', 'pass'] as const;
/** `user` and `pass` may also be `{ file: PATH }` or `{ env: NAME }`: read when a mail is sent. */
export const SECRET_KEYS = ['file', 'env'] as const;

/**
 * A parsed YAML document and what is needed to point at its lines (only `linePos` of a
 * LineCounter: tm parses the server section cut out of the file, and shifts its lines).
 */
export type ConfigSource = {
  file: string;
  doc: Document.Parsed;
  lineCounter: Pick<LineCounter, 'linePos'>;
};

/**
 * Aliases may make the walk read a node many times (a thousand programs sharing one env). Past
 * this many nodes read through aliases the file is refused: a small file could otherwise make
 * the walk take hours, and the daemon supervises nothing while it loads a config.
 */
export const MAX_ALIAS_NODES = 1_000_000;

/** Where a program of a file is defined (its key), so that a second definition can name it. */
export type ProgramPlace = { file: string; line: number; col: number };

/**
 * A pattern of `include`, with its expansions applied (relative patterns are relative to the
 * folder of the main config), and where it is written.
 */
export type IncludePattern = {
  pattern: string;
  /** The folder relative patterns are taken from. */
  dir: string;
  at: { file: string; line: number; col: number; keyPath: string };
};

/** What one file of the config says, and every problem it has; it is refused if there are any. */
export type CheckedFile<T> = {
  value: T;
  places: ReadonlyMap<string, ProgramPlace>;
  problems: readonly ConfigProblem[];
};

/**
 * The main config file: the Config it describes with its own programs (a fragment's are added
 * by load.ts), and its include patterns. Duplicate keys are thrown at once, alone.
 */
export function checkConfigDocument(
  source: ConfigSource,
  inputs: ExpansionInputs = currentInputs(),
): CheckedFile<{ config: Omit<Config, 'includes'>; include: readonly IncludePattern[] }> {
  const index = indexDocument(source.doc.contents);
  // Which of the two values is meant cannot be known: like a syntax error, reported alone.
  throwDuplicates(source, index, () => true);
  const w = new Walk(source, index, inputs);
  const root = new Section(
    w,
    { path: '', node: source.doc.contents, offset: 0, keyOffset: 0 },
    TOP_KEYS,
  );
  const config = {
    file: path.resolve(source.file),
    // no programs at all is a config too: the daemon then waits for a reload to bring some
    programs: root.read('programs', orNull(programs), []) ?? [],
    daemon: daemon(w, root.section('daemon', DAEMON_KEYS)),
    server: server(w, root.section('server', SERVER_KEYS)),
    email: root.isSet('email') ? email(root.section('email', EMAIL_KEYS)) : null,
  };
  const patterns = root.read(
    'include',
    orNull(listOf(includePattern, 'a list of file patterns')),
    [],
  );
  return {
    value: { config, include: patterns ?? [] },
    places: w.places,
    problems: w.problems.sort(byPlace),
  };
}

/** A file named by `include`: its programs; any other top-level key is refused. */
export function checkFragmentDocument(
  source: ConfigSource,
  inputs: ExpansionInputs = currentInputs(),
): CheckedFile<ProgramSpec[]> {
  const index = indexDocument(source.doc.contents);
  throwDuplicates(source, index, () => true);
  const w = new Walk(source, index, inputs);
  const root = new Section(
    w,
    { path: '', node: source.doc.contents, offset: 0, keyOffset: 0 },
    FRAGMENT_KEYS,
    fragmentKeyHint,
  );
  return {
    value: root.read('programs', orNull(programs), []) ?? [],
    places: w.places,
    problems: w.problems.sort(byPlace),
  };
}

function fragmentKeyHint(key: string): string {
  if (key === 'include') return 'includes do not nest: write the pattern in the main config';
  if ((TOP_KEYS as readonly string[]).includes(key)) {
    return `a file named by include holds only programs: put ${key} in the main config`;
  }
  return unknownKeyHint(key, FRAGMENT_KEYS);
}

/**
 * The server section alone, for tm: it needs the address and the token file to reach the daemon,
 * and must do so even while another section has an error (the daemon reports that one on reload).
 * Only this section is checked; a file without one gets the defaults.
 */
export function validateServerSection(source: ConfigSource): ServerSection {
  const index = indexDocument(source.doc.contents);
  throwDuplicates(
    source,
    index,
    (keyPath) => keyPath === 'server' || keyPath.startsWith('server.'),
  );
  const w = new Walk(source, index);
  const root = source.doc.contents;
  const pair = isMap(root)
    ? root.items.find((p) => isScalar(p.key) && p.key.value === 'server')
    : undefined;
  const keyOffset = pair?.key?.range[0] ?? 0;
  const absent: Field = { path: 'server', node: null, offset: keyOffset, keyOffset };
  const field = pair === undefined ? absent : (w.field(pair.value, 'server', keyOffset) ?? absent);
  const section = server(w, new Section(w, field, SERVER_KEYS));
  if (w.problems.length > 0) throw new ConfigError(w.problems.sort(byPlace));
  return section;
}

function throwDuplicates(
  source: ConfigSource,
  index: DocumentIndex,
  isRelevant: (keyPath: string) => boolean,
): void {
  const problems = index.duplicates
    .filter((d) => isRelevant(d.keyPath))
    .map(({ keyPath, offset }): ConfigProblem => {
      const { line, col } = source.lineCounter.linePos(offset);
      return {
        file: source.file,
        line,
        col,
        keyPath,
        message: 'this key is given twice',
        hint: null,
      };
    });
  if (problems.length > 0) throw new ConfigError(problems);
}

/** Problems are found section by section; they are read best in the order of the file. */
function byPlace(a: ConfigProblem, b: ConfigProblem): number {
  return a.line - b.line || a.col - b.col;
}

/**
 * One value of the file and where it is; `node` is null when nothing is written there. A key
 * missing inside it is reported at `keyOffset`, the key that holds it (`web:` for programs.web).
 */
type Field = { path: string; node: ParsedNode | null; offset: number; keyOffset: number };
/**
 * Reads a field, or reports what is wrong with it and returns undefined. A reader may return a
 * partial value after reporting: any problem fails the whole file, so it is never used.
 */
type Reader<T> = (w: Walk, f: Field) => T | undefined;

class Walk {
  readonly problems: ConfigProblem[] = [];
  readonly dir: string;
  /** Where each program of the file is defined. */
  readonly places = new Map<string, ProgramPlace>();
  /** Nodes read through aliases so far, against MAX_ALIAS_NODES. */
  private aliasNodes = 0;

  constructor(
    readonly source: ConfigSource,
    private readonly index: DocumentIndex,
    readonly inputs: ExpansionInputs = currentInputs(),
  ) {
    this.dir = path.dirname(path.resolve(source.file));
  }

  place(offset: number): ProgramPlace {
    const { line, col } = this.source.lineCounter.linePos(offset);
    return { file: this.source.file, line, col };
  }

  report(offset: number, keyPath: string, message: string, hint: string | null = null): undefined {
    const { line, col } = this.source.lineCounter.linePos(offset);
    this.problems.push({ file: this.source.file, line, col, keyPath, message, hint });
    return undefined;
  }

  expected(f: Field, what: string, hint: string | null = null): undefined {
    const found = describe(f.node);
    // only in a list item: elsewhere a string with a dash in it is no sign of the trap
    const trap = isListItem(f) ? dashHint(f) : null;
    return this.report(f.offset, f.path, `expected ${what}, found ${found}`, hint ?? trap);
  }

  /** The field of a value node, with aliases followed; undefined (reported) for an unknown alias. */
  field(node: ParsedNode | null, keyPath: string, keyOffset: number): Field | undefined {
    if (isAlias(node)) {
      const target = this.index.aliases.get(node);
      if (target === undefined) {
        const message = `unknown alias *${node.source}`;
        return this.report(node.range[0], keyPath, message, `define it first with &${node.source}`);
      }
      const wasOver = this.aliasNodes > MAX_ALIAS_NODES;
      this.aliasNodes += this.index.sizes.get(target) ?? 1;
      if (this.aliasNodes <= MAX_ALIAS_NODES) {
        return { path: keyPath, node: target, offset: node.range[0], keyOffset };
      }
      // said once, at the alias that went over; the later ones are not read at all
      if (wasOver) return undefined;
      const message = `the aliases of this file expand to more than ${MAX_ALIAS_NODES} keys and values`;
      const hint =
        'each use of an alias is read again: share smaller parts, or share them fewer times';
      return this.report(node.range[0], keyPath, message, hint);
    }
    return { path: keyPath, node, offset: node?.range[0] ?? keyOffset, keyOffset };
  }
}

/** A mapping whose keys are known in advance: unknown keys are reported as it is built. */
class Section {
  private readonly fields = new Map<string, Field | undefined>();
  /** The node is something else than a mapping (reported): its missing keys are not reported. */
  private readonly isBroken: boolean;

  constructor(
    private readonly w: Walk,
    private readonly self: Field,
    known: readonly string[],
    hintFor: (key: string) => string = (key) => unknownKeyHint(key, known),
  ) {
    const node = self.node;
    this.isBroken = !isMap(node) && valueOf(node) !== null;
    if (this.isBroken) w.expected(self, self.path === '' ? 'a mapping with programs' : 'a mapping');
    if (!isMap(node)) return;
    for (const { key, keyOffset, field } of pairs(w, node, self.path)) {
      if (known.includes(key)) this.fields.set(key, field);
      else w.report(keyOffset, join(self.path, key), 'unknown key', hintFor(key));
    }
  }

  isSet(key: string): boolean {
    return valueOf(this.fields.get(key)?.node ?? null) !== null;
  }

  read<T>(key: string, reader: Reader<T>, fallback: T): T {
    const f = this.fields.get(key);
    const value = f === undefined ? undefined : reader(this.w, f);
    return value === undefined ? fallback : value;
  }

  /** A key that must be there: its absence is reported at the key of the section. */
  require<T>(key: string, reader: Reader<T>): T | undefined {
    if (this.fields.has(key)) {
      const f = this.fields.get(key);
      return f === undefined ? undefined : reader(this.w, f);
    }
    return this.isBroken ? undefined : reader(this.w, this.absent(key));
  }

  /** A sub-section; left out or written with nothing, every key of it takes its default. */
  section(key: string, known: readonly string[]): Section {
    return new Section(this.w, this.fields.get(key) ?? this.absent(key), known);
  }

  /** A problem at `key`'s value, or at the section's own key for null. */
  problem(key: string | null, message: string, hint: string | null = null): void {
    const f = key === null ? undefined : this.fields.get(key);
    const at = f?.offset ?? this.self.keyOffset;
    this.w.report(at, key === null ? this.self.path : join(this.self.path, key), message, hint);
  }

  private absent(key: string): Field {
    const at = this.self.keyOffset;
    return { path: join(this.self.path, key), node: null, offset: at, keyOffset: at };
  }
}

function* pairs(
  w: Walk,
  map: YAMLMap.Parsed,
  mapPath: string,
): Generator<{ key: string; keyOffset: number; field: Field | undefined }> {
  for (const pair of map.items) {
    const keyNode = pair.key as ParsedNode | null;
    const keyOffset = keyNode?.range[0] ?? map.range[0];
    if (!isScalar(keyNode) || keyNode.value === null) {
      w.report(keyOffset, mapPath, `expected a key name, found ${describe(keyNode)}`);
      continue;
    }
    const key = asWritten(keyNode);
    yield { key, keyOffset, field: w.field(pair.value, join(mapPath, key), keyOffset) };
  }
}

function join(parent: string, key: string): string {
  return parent === '' ? key : `${parent}.${key}`;
}

// Supervisor's names for our keys: its users will type them.
const SUPERVISOR_KEYS = new Map([
  ['command', 'cmd'],
  ['directory', 'workingdir'],
  ['environment', 'env'],
  ['stdout_logfile', 'stdout'],
  ['stderr_logfile', 'stderr'],
  ['startsecs', 'starttime'],
  ['stopwaitsecs', 'stoptime'],
]);

// Supervisor's rotation settings are keys of the output file's own mapping here.
const SUPERVISOR_LIMIT_KEY = /^(stdout_|stderr_)?logfile_(maxbytes|backups)$/;

function unknownKeyHint(key: string, known: readonly string[]): string {
  if (key === '<<') return 'YAML merge keys (<<) are not supported: repeat the keys';
  const limit = SUPERVISOR_LIMIT_KEY.exec(key);
  if (limit !== null) {
    const file = limit[1] === undefined ? 'logfile' : limit[1].slice(0, -1);
    if (known.includes(file)) {
      return `write ${file}: { file: PATH, ${limit[2]}: ... } (with maxbytes and backups)`;
    }
  }
  if (key === 'stopasgroup' || key === 'killasgroup') {
    return 'not needed: stop signals always go to the whole process group';
  }
  const renamed = SUPERVISOR_KEYS.get(key);
  const similar =
    renamed !== undefined && known.includes(renamed) ? renamed : suggestSimilar(key, known);
  return similar === null ? `known keys: ${known.join(', ')}` : `did you mean ${similar}?`;
}

/** The value of a scalar (null for nothing written), or undefined for a list or a mapping. */
function valueOf(node: ParsedNode | null): unknown {
  if (node === null) return null;
  return isScalar(node) ? node.value : undefined;
}

/** What was found, for messages: strings quoted, numbers as written (022 stays 022). */
function describe(node: ParsedNode | null): string {
  if (isMap(node)) return node.items.length === 0 ? 'an empty mapping' : 'a mapping';
  if (isSeq(node)) return node.items.length === 0 ? 'an empty list' : 'a list';
  if (isAlias(node)) return `*${node.source}`;
  if (!isScalar(node) || node.value === null) return 'nothing';
  return typeof node.value === 'string' ? JSON.stringify(node.value) : asWritten(node);
}

/** A scalar as text: a string as it is, anything else as written (022 stays 022, not 22). */
function asWritten(node: Scalar): string {
  return typeof node.value === 'string' ? node.value : (node.source ?? JSON.stringify(node.value));
}

/**
 * A block list written without a space after its dashes (`-0` on one line, `-2` on the next) is
 * one plain string "-0 -2" in YAML, not a list: say so whenever such a string is refused.
 */
function dashHint(f: Field): string | null {
  const node = f.node;
  if (!isScalar(node) || node.type !== 'PLAIN' || typeof node.value !== 'string') return null;
  const dashed = /(?:^|\s)-(\S+)/.exec(node.value);
  return dashed === null ? null : `put a space after each dash ("- ${dashed[1]}")`;
}

function isListItem(f: Field): boolean {
  return f.path.endsWith(']');
}

// ---- readers, one per kind of value ----

const text =
  (what: string): Reader<string> =>
  (w, f) => {
    const value = valueOf(f.node);
    return typeof value === 'string' && value !== '' ? value : w.expected(f, what);
  };

/** A path; relative ones are taken from the config file's folder, not the daemon's cwd. */
const pathTo =
  (what: string): Reader<string> =>
  (w, f) => {
    const p = text(what)(w, f);
    return p === undefined ? undefined : path.resolve(w.dir, p);
  };

const orNull =
  <T>(read: Reader<T>): Reader<T | null> =>
  (w, f) =>
    valueOf(f.node) === null ? null : read(w, f);

const bool: Reader<boolean> = (w, f) => {
  const value = valueOf(f.node);
  if (typeof value === 'boolean') return value;
  const isYaml11 = typeof value === 'string' && /^(yes|no|on|off)$/i.test(value);
  return w.expected(f, 'true or false', isYaml11 ? `YAML 1.2 reads ${value} as a string` : null);
};

const integer =
  (min: number, max: number): Reader<number> =>
  (w, f) => {
    const value = valueOf(f.node);
    // YAML reads -0 as negative zero, which would print as 0 but compare oddly (Object.is)
    if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) {
      return value === 0 ? 0 : value;
    }
    return w.expected(f, `an integer ${range(min, max)}`.trimEnd());
  };

const anyInteger = integer(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
const count = integer(0, Number.MAX_SAFE_INTEGER);

function range(min: number, max: number): string {
  if (min <= Number.MIN_SAFE_INTEGER) return '';
  return max >= Number.MAX_SAFE_INTEGER ? `of ${min} or more` : `from ${min} to ${max}`;
}

// A day: beyond it is surely a typo, and Node timers overflow past 2^31 ms (24.8 days).
const MAX_SECONDS = 86_400;

/** A duration written in seconds (fractions allowed), in milliseconds. */
const seconds: Reader<number> = (w, f) => {
  const value = valueOf(f.node);
  if (typeof value === 'number' && value >= 0 && value <= MAX_SECONDS) {
    return Math.round(value * 1000);
  }
  return w.expected(f, `a number of seconds from 0 to ${MAX_SECONDS}`);
};

const oneOf =
  <T extends string>(values: readonly T[]): Reader<T> =>
  (w, f) => {
    const value = valueOf(f.node);
    const match = values.find((v) => v === value);
    if (match !== undefined) return match;
    const similar = typeof value === 'string' ? suggestSimilar(value, values) : null;
    const alternatives = `${values.slice(0, -1).join(', ')} or ${values.at(-1)}`;
    return w.expected(f, alternatives, similar === null ? null : `did you mean ${similar}?`);
  };

/** A list, or a single value standing for a list of one. */
const listOf =
  <T>(item: Reader<T>, what: string, minItems = 0): Reader<T[]> =>
  (w, f) => {
    const node = f.node;
    if (isSeq(node) && node.items.length < minItems) return w.expected(f, what);
    if (isSeq(node)) return items(w, f, node, item);
    const hint = dashHint(f);
    if (hint !== null) {
      const found = `the string ${describe(node)}`;
      return w.report(f.offset, f.path, `expected ${what}, found ${found}`, hint);
    }
    if (isMap(node) || valueOf(node) === null) return w.expected(f, what);
    const one = item(w, f);
    return one === undefined ? undefined : [one];
  };

function items<T>(w: Walk, f: Field, seq: YAMLSeq.Parsed, item: Reader<T>): T[] {
  const out: T[] = [];
  for (const [i, node] of seq.items.entries()) {
    const field = w.field(node, `${f.path}[${i}]`, f.offset);
    const value = field === undefined ? undefined : item(w, field);
    if (value !== undefined) out.push(value);
  }
  return out;
}

/** The command as written: it is split into argv once its expansions are applied. */
const command: Reader<Written<Field>> = (w, f) => {
  const cmd = valueOf(f.node);
  if (typeof cmd !== 'string' || cmd.trim() === '') return w.expected(f, 'the command to run');
  return { text: cmd, at: f };
};

/** A value as written, with where it is, for expandProgram. */
const written =
  (what: string): Reader<Written<Field>> =>
  (w, f) => {
    const value = text(what)(w, f);
    return value === undefined ? undefined : { text: value, at: f };
  };

/**
 * A file pattern of `include`, relative to the folder of the main config. It may use
 * `%(here)s`, `%(host_node_name)s` and `%(ENV_NAME)s`, as Supervisor's [include] files does.
 */
const includePattern: Reader<IncludePattern> = (w, f) => {
  const pattern = text('a file pattern like conf.d/*.yaml')(w, f);
  if (pattern === undefined) return undefined;
  const { line, col } = w.source.lineCounter.linePos(f.offset);
  const at = { file: w.source.file, line, col, keyPath: f.path };
  const template = parseTemplate(pattern);
  const kindOf = (name: string) =>
    name === 'here' || name === 'host_node_name' || envValue(w.inputs, name) !== undefined
      ? ('text' as const)
      : undefined;
  const problem =
    'message' in template
      ? template
      : checkTemplate(
          template,
          kindOf,
          () => ['here', 'host_node_name', ...Object.keys(w.inputs.env).map((k) => `ENV_${k}`)],
          () =>
            "an include pattern may use here, host_node_name and ENV_ followed by a variable of taskmasterd's environment; write %% for a literal %",
        );
  if (problem !== null) return w.report(f.offset, f.path, problem.message, problem.hint);
  const value = (name: string) =>
    name === 'here'
      ? w.dir
      : name === 'host_node_name'
        ? w.inputs.hostName
        : envValue(w.inputs, name)!;
  return {
    pattern: renderTemplate(template as Exclude<typeof template, { message: string }>, value),
    dir: w.dir,
    at,
  };
};

const autorestart: Reader<AutoRestart> = (w, f) => {
  const value = valueOf(f.node);
  // Supervisor takes true and false here too
  if (value === true) return 'always';
  if (value === false) return 'never';
  return oneOf(AUTORESTART)(w, f);
};

const signal: Reader<string> = (w, f) => {
  const value = valueOf(f.node);
  const name = typeof value === 'string' || typeof value === 'number' ? parseSignal(value) : null;
  if (name !== null) return name;
  const bare = typeof value === 'string' ? value.toUpperCase().replace(/^SIG/, '') : '';
  const similar = suggestSimilar(bare, SIGNAL_NAMES);
  const hint = similar === null ? null : `did you mean ${similar}?`;
  return w.expected(f, 'a signal name or number like TERM', hint);
};

/**
 * A umask is always octal. YAML 1.2 reads `022` as the decimal 22, so a number is re-read from
 * the characters written in the file.
 */
const umask: Reader<number | null> = (w, f) => {
  const node = f.node;
  const value = valueOf(node);
  if (value === null) return null;
  const written = typeof value === 'number' && isScalar(node) ? node.source : value;
  const digits = typeof written === 'string' ? /^(?:0o)?([0-9]+)$/i.exec(written)?.[1] : undefined;
  const what = 'an octal number like 022';
  if (digits === undefined) return w.expected(f, what);
  if (/[89]/.test(digits)) return w.expected(f, what, 'octal digits go from 0 to 7');
  const mask = parseInt(digits, 8);
  return mask <= 0o777 ? mask : w.expected(f, what, 'a umask is at most 777');
};

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Extra environment variables; values are kept as written (`1.10` stays "1.10"), and expanded
 * by expandProgram.
 */
const env: Reader<(readonly [string, Written<Field>])[]> = (w, f) => {
  const node = f.node;
  if (valueOf(node) === null) return [];
  if (!isMap(node)) return w.expected(f, 'a mapping of variable names to values');
  const entries: (readonly [string, Written<Field>])[] = [];
  for (const { key, keyOffset, field } of pairs(w, node, f.path)) {
    if (!ENV_NAME.test(key)) {
      const what = 'a variable name of letters, digits and "_", not starting with a digit';
      w.report(keyOffset, join(f.path, key), `expected ${what}, found ${JSON.stringify(key)}`);
      continue;
    }
    const value =
      field === undefined ? undefined : scalarText('a string, number or boolean')(w, field);
    if (value !== undefined) entries.push([key, { text: value, at: field! }]);
  }
  return entries;
};

/** Any scalar as the text written in the file. */
const scalarText =
  (what: string): Reader<string> =>
  (w, f) => {
    const node = f.node;
    if (!isScalar(node) || node.value === null) return w.expected(f, what);
    return asWritten(node);
  };

const emailAddress: Reader<string> = (w, f) => {
  const value = valueOf(f.node);
  // in a list, "a@b -c@d" is the dash trap (two items meant), not one address
  const isTrap = isListItem(f) && dashHint(f) !== null;
  if (typeof value === 'string' && value.includes('@') && !isTrap) return value;
  return w.expected(f, 'an email address like ops@example.com');
};

const SIZE = /^([0-9]+(?:\.[0-9]+)?)\s*(B|KB|MB|GB)?$/i;
const UNIT: Record<string, number> = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 };

/** A size in bytes, written as a number of bytes or with KB, MB or GB (1024-based, as Supervisor). */
const byteSize: Reader<number> = (w, f) => {
  const value = valueOf(f.node);
  const written = typeof value === 'number' || typeof value === 'string' ? String(value) : '';
  const match = SIZE.exec(written);
  const bytes =
    match === null ? NaN : Math.floor(Number(match[1]) * UNIT[(match[2] ?? 'B').toUpperCase()]!);
  if (Number.isSafeInteger(bytes)) return bytes;
  return w.expected(f, 'a size like 50MB (bytes, or with KB, MB or GB)');
};

/**
 * An output file and, when written as a mapping, how it is rotated (null: the defaults). `file`
 * is the path as written: a program's is expanded first, then resolved (expandProgram).
 */
type OutputFile = { file: Written<Field>; limit: Partial<FileLimit> | null };

/** `PATH`, or `{ file: PATH, maxbytes: 50MB, backups: 10 }`. */
const outputFile: Reader<OutputFile> = (w, f) => {
  if (!isMap(f.node)) {
    const file = written('a file path, or a mapping with file, maxbytes and backups')(w, f);
    return file === undefined ? undefined : { file, limit: null };
  }
  const s = new Section(w, f, OUTPUT_KEYS);
  const file = s.require('file', written('a file path'));
  // 0 for either means what it does in Supervisor: never rotated, or truncated without a copy
  const limit: Partial<FileLimit> = {
    ...(s.isSet('maxbytes') && { maxBytes: s.read('maxbytes', byteSize, 0) }),
    ...(s.isSet('backups') && { backups: s.read('backups', integer(0, 1000), 0) }),
  };
  return file === undefined ? undefined : { file, limit };
};

function limitOf<K extends 'stdout' | 'stderr'>(
  key: K,
  output: OutputFile | null,
  fallback: FileLimit,
): Record<`${K}Limit`, FileLimit> {
  return { [`${key}Limit`]: { ...fallback, ...output?.limit } } as Record<`${K}Limit`, FileLimit>;
}

/** The daemon's log: a path of the daemon section, where no expansion applies. */
function logOf(w: Walk, output: OutputFile | null): Pick<DaemonSection, 'logfile' | 'logLimit'> {
  const logfile = path.resolve(w.dir, output?.file.text ?? DAEMON_DEFAULTS.logfile);
  return { logfile, logLimit: { ...DAEMON_DEFAULTS.logLimit, ...output?.limit } };
}

const PROGRAM_NAME = /^[A-Za-z0-9_.-]+$/;

const programs: Reader<ProgramSpec[]> = (w, f) => {
  const node = f.node;
  if (!isMap(node)) return w.expected(f, 'a mapping of programs');
  const specs: ProgramSpec[] = [];
  for (const { key, keyOffset, field } of pairs(w, node, f.path)) {
    const keyPath = join(f.path, key);
    if (key === 'all') {
      w.report(keyOffset, keyPath, 'the name "all" is reserved: tm uses it for every program');
    } else if (!PROGRAM_NAME.test(key)) {
      const what = 'a program name of letters, digits, "_", "." and "-"';
      const hint = key.includes(':') ? '":" separates the instance number, as in web:0' : null;
      w.report(keyOffset, keyPath, `expected ${what}, found ${JSON.stringify(key)}`, hint);
    }
    w.places.set(key, w.place(keyOffset));
    const spec = field === undefined ? undefined : program(w, field, key);
    if (spec !== undefined) specs.push(spec);
  }
  return specs;
};

function program(w: Walk, f: Field, name: string): ProgramSpec | undefined {
  if (!isMap(f.node)) return w.expected(f, 'a mapping of the program settings, with at least cmd');
  const s = new Section(w, f, PROGRAM_KEYS);
  const d = PROGRAM_DEFAULTS;
  const cmd = s.require('cmd', command);
  const numprocs = s.read('numprocs', integer(1, 1000), d.numprocs);
  const stdout = s.read('stdout', orNull(outputFile), null);
  const stderr = s.read('stderr', orNull(outputFile), null);
  const templates = {
    name,
    numprocs,
    dir: w.dir,
    env: s.read('env', env, []),
    // left out, it is the folder of the file the program is in, like every relative path there
    workingdir: s.read('workingdir', orNull(written('a folder path')), null),
    stdout: stdout?.file ?? null,
    stderr: stderr?.file ?? null,
  };
  const expanded =
    cmd === undefined
      ? undefined
      : expandProgram({ ...templates, cmd }, w.inputs, (at, message, hint) =>
          w.report(at.offset, at.path, message, hint),
        );
  const spec: ProgramSpec = {
    name,
    cmd: '',
    argv: [],
    numprocs,
    autostart: s.read('autostart', bool, d.autostart),
    autorestart: s.read('autorestart', autorestart, d.autorestart),
    exitcodes: s.read('exitcodes', listOf(integer(0, 255), 'a list of integers'), d.exitcodes),
    startTimeMs: s.read('starttime', seconds, d.startTimeMs),
    startRetries: s.read('startretries', count, d.startRetries),
    stopSignal: s.read('stopsignal', signal, d.stopSignal),
    stopTimeMs: s.read('stoptime', seconds, d.stopTimeMs),
    restartDelayMaxMs: s.read('restartdelaymax', seconds, d.restartDelayMaxMs),
    stdout: null,
    ...limitOf('stdout', stdout, d.stdoutLimit),
    stderr: null,
    ...limitOf('stderr', stderr, d.stderrLimit),
    env: d.env,
    workingdir: w.dir,
    umask: s.read('umask', umask, d.umask),
    user: s.read('user', orNull(text('a user name')), d.user),
    priority: s.read('priority', anyInteger, d.priority),
  };
  // a program that cannot be expanded is reported: the file is refused, the spec never used
  if (expanded === undefined) return spec;
  const values = { ...spec, ...expanded.shared };
  return expanded.perInstance === null ? values : { ...values, perInstance: expanded.perInstance };
}

function daemon(w: Walk, s: Section): DaemonSection {
  const d = DAEMON_DEFAULTS;
  const file = pathTo('a file path');
  return {
    ...logOf(w, s.read('logfile', outputFile, null)),
    eventlog: s.read('eventlog', file, path.resolve(w.dir, d.eventlog)),
    pidfile: s.read('pidfile', file, path.resolve(w.dir, d.pidfile)),
    eventRetention: retention(s.section('eventretention', RETENTION_KEYS)),
  };
}

function retention(s: Section): DaemonSection['eventRetention'] {
  const d = DAEMON_DEFAULTS.eventRetention;
  return {
    // fewer than 100 rows would not even hold one crash loop's story
    perInstance: s.read('perinstance', integer(100, 100_000_000), d.perInstance),
    days: s.read('days', integer(1, 36_500), d.days),
  };
}

function server(w: Walk, s: Section): ServerSection {
  const d = SERVER_DEFAULTS;
  const rpc = s.isSet('xmlrpc') ? xmlrpc(s.section('xmlrpc', XMLRPC_KEYS)) : undefined;
  return {
    host: s.read('host', text('a host name or address'), d.host),
    // 0 lets the system pick a free port, which tests use
    port: s.read('port', integer(0, 65535), d.port),
    tokenfile: s.read('tokenfile', pathTo('a file path'), path.resolve(w.dir, d.tokenfile)),
    ...(rpc !== undefined && { xmlrpc: rpc }),
  };
}

const XMLRPC_READERS: { [K in keyof XmlRpcValues]: Reader<NonNullable<XmlRpcValues[K]>> } = {
  host: text('a host name or address'),
  port: integer(0, 65535),
  socket: pathTo('a socket path'),
  username: text('a user name'),
  password: scalarText('a password'),
  public: bool,
};

/** Undefined after a problem: the config is refused anyway. */
function xmlrpc(s: Section): XmlRpcSection | undefined {
  const read = <K extends keyof XmlRpcValues>(key: K) =>
    s.read(key, orNull(XMLRPC_READERS[key]), null) as XmlRpcValues[K];
  const values: XmlRpcValues = {
    host: read('host'),
    port: read('port'),
    socket: read('socket'),
    username: read('username'),
    password: read('password'),
    public: read('public'),
  };
  return xmlrpcSection(values, (key, message, hint) => s.problem(key, message, hint));
}

function email(s: Section): EmailSection {
  const d = EMAIL_DEFAULTS;
  const smtp = s.section('smtp', SMTP_KEYS);
  const secure = smtp.read('secure', bool, d.smtp.secure);
  const user = smtp.read('user', orNull(secret(text('a user name'), 'a user name')), d.smtp.user);
  // a password is never shown: only a list or a mapping is refused, and only those are described
  const pass = smtp.read(
    'pass',
    orNull(secret(scalarText('a password'), 'a password')),
    d.smtp.pass,
  );
  // one without the other would be sent as an empty one, and refused by the server at every mail
  if (smtp.isSet('user') !== smtp.isSet('pass')) {
    const [given, missing] = smtp.isSet('user') ? ['user', 'pass'] : ['pass', 'user'];
    smtp.require(missing, (w, f) =>
      w.report(
        f.offset,
        f.path,
        `required with ${given}`,
        'a login takes both user and pass; leave both out for a server without login',
      ),
    );
  }
  return {
    smtp: {
      host: smtp.read('host', text('a host name or address'), d.smtp.host),
      port: smtp.read('port', integer(1, 65535), secure ? 465 : d.smtp.port),
      secure,
      requireTls: smtp.read('requiretls', bool, d.smtp.requireTls),
      ca: smtp.read('ca', orNull(pathTo('a file path')), d.smtp.ca),
      user,
      pass,
    },
    from: s.read('from', emailAddress, d.from),
    to: s.require('to', listOf(emailAddress, 'a list of email addresses', 1)) ?? [],
    events: s.read('events', listOf(oneOf(ALERT_EVENTS), 'a list of events'), d.events),
    digestMs: s.read('digest', seconds, d.digestMs),
  };
}

/** A secret written out, or where to read it: `{ file: PATH }` or `{ env: NAME }`. */
const secret =
  (inline: Reader<string>, what: string): Reader<Secret> =>
  (w, f) => {
    if (!isMap(f.node)) {
      if (isSeq(f.node)) return w.expected(f, `${what}, { file: PATH } or { env: NAME }`);
      const value = inline(w, f);
      return value === undefined ? undefined : { value };
    }
    // a key of its own is no typo to show: `pass: {S3cr3t}` unquoted is a mapping whose key is
    // the password, and problems go to `tm reload` and the daemon log
    const keys = f.node.items.map((pair) => (isScalar(pair.key) ? asWritten(pair.key) : null));
    if (keys.some((key) => key === null || !(SECRET_KEYS as readonly string[]).includes(key))) {
      const expected = `expected ${what}, { file: PATH } or { env: NAME }`;
      const hint = `quote a ${what.replace(/^an? /, '')} that starts with { or [`;
      return w.report(f.offset, f.path, `${expected}, found a mapping with other keys`, hint);
    }
    const problems = w.problems.length;
    const s = new Section(w, f, SECRET_KEYS);
    const file = s.read('file', orNull(pathTo('a file path')), null);
    const env = s.read('env', orNull(envName), null);
    // an unknown key or a bad value inside is already said, more precisely
    if (w.problems.length > problems) return undefined;
    if (file !== null && env === null) return { file };
    if (env !== null && file === null) return { env };
    return w.expected(f, `${what}, { file: PATH } or { env: NAME }`);
  };

const envName: Reader<string> = (w, f) => {
  const value = valueOf(f.node);
  if (typeof value === 'string' && ENV_NAME.test(value)) return value;
  return w.expected(f, 'an environment variable name like SMTP_PASSWORD');
};
