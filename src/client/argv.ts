import { suggestSimilar } from '../domain/suggest-similar.js';
import { UsageError } from './usage-error.js';

/** An option as `tm help` lists it and the parser knows it. */
export type OptionSpec = {
  /** `--limit` */
  long: string;
  /** `-n` */
  short?: string;
  /** The name of its value (`N`); absent for a flag. */
  value?: string;
  help: string;
};

export const GLOBAL_OPTIONS: readonly OptionSpec[] = [
  {
    long: '--config',
    short: '-c',
    value: 'FILE',
    help: "the daemon's config: its address, port and token file (default: $TM_CONFIG)",
  },
  { long: '--host', value: 'HOST', help: 'connect to HOST instead of server.host' },
  { long: '--port', value: 'PORT', help: 'connect to PORT instead of server.port' },
  { long: '--json', help: 'machine-readable output (JSON) on stdout' },
  { long: '--help', short: '-h', help: "this help; after a command, that command's" },
  { long: '--version', short: '-v', help: 'print the version of tm' },
];

export type GlobalOptions = {
  config: string | null;
  host: string | null;
  port: number | null;
  json: boolean;
  help: boolean;
  version: boolean;
};

export type Invocation = {
  global: GlobalOptions;
  /** The command name, null when none was given. */
  command: string | null;
  args: string[];
  /** The command's own options, by long name without dashes. */
  options: Map<string, string | true>;
};

/**
 * Reads tm's argv: global options anywhere (before or after the command), then the command's
 * own options and its arguments. `--opt=value` and `--opt value` both work; `--` ends options;
 * a word like `-9` is an argument, not an option (`tm signal -9 web`).
 *
 * `optionsOf` gives a command's options, or null when there is no such command.
 */
export function parseArgv(
  argv: readonly string[],
  optionsOf: (command: string) => readonly OptionSpec[] | null,
  commandNames: readonly string[],
): Invocation {
  const inv: Invocation = {
    global: { config: null, host: null, port: null, json: false, help: false, version: false },
    command: null,
    args: [],
    options: new Map(),
  };
  let own: readonly OptionSpec[] = [];
  let isOptionsEnd = false;
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (isOptionsEnd || !isOption(word)) {
      if (inv.command !== null) {
        inv.args.push(word);
        continue;
      }
      const options = optionsOf(word);
      if (options === null) throw unknownCommand(word, commandNames);
      inv.command = word;
      own = options;
      continue;
    }
    if (word === '--') {
      isOptionsEnd = true;
      continue;
    }
    const eq = word.startsWith('--') ? word.indexOf('=') : -1;
    const typed = eq === -1 ? word : word.slice(0, eq);
    const spec = find(GLOBAL_OPTIONS, typed) ?? find(own, typed);
    if (spec === undefined) throw unknownOption(typed, inv.command, own);
    let value: string | true = true;
    if (spec.value !== undefined) {
      const next = eq === -1 ? argv[++i] : word.slice(eq + 1);
      if (next === undefined || next === '') {
        throw new UsageError(`${spec.long} needs a value (${spec.value})`);
      }
      value = next;
    } else if (eq !== -1) {
      throw new UsageError(`${spec.long} takes no value, found "${word.slice(eq + 1)}"`);
    }
    if (find(GLOBAL_OPTIONS, typed) === spec) setGlobal(inv.global, spec.long, value);
    else inv.options.set(spec.long.slice(2), value);
  }
  return inv;
}

function isOption(word: string): boolean {
  return word.startsWith('-') && word !== '-' && !/^-\d+$/.test(word);
}

function find(options: readonly OptionSpec[], typed: string): OptionSpec | undefined {
  return options.find((o) => o.long === typed || o.short === typed);
}

function setGlobal(g: GlobalOptions, long: string, value: string | true): void {
  const text = value === true ? '' : value;
  switch (long) {
    case '--config':
      g.config = text;
      break;
    case '--host':
      g.host = text;
      break;
    case '--port':
      g.port = parsePort(text);
      break;
    case '--json':
      g.json = true;
      break;
    case '--help':
      g.help = true;
      break;
    case '--version':
      g.version = true;
      break;
  }
}

function parsePort(text: string): number {
  const port = /^\d+$/.test(text) ? Number(text) : NaN;
  if (port >= 1 && port <= 65535) return port;
  throw new UsageError(`--port: expected a port number from 1 to 65535, found "${text}"`);
}

function unknownCommand(word: string, names: readonly string[]): UsageError {
  const similar = suggestSimilar(word, names);
  const guess = similar === null ? '' : ` (did you mean ${similar}?)`;
  return new UsageError(`unknown command: ${word}${guess}`, 'tm help lists the commands');
}

function unknownOption(
  typed: string,
  command: string | null,
  own: readonly OptionSpec[],
): UsageError {
  // compared without the dashes, which every long option shares
  const known = [...GLOBAL_OPTIONS, ...own].map((o) => o.long.slice(2));
  const similar = typed.startsWith('--') ? suggestSimilar(typed.slice(2), known) : null;
  const guess = similar === null ? '' : ` (did you mean --${similar}?)`;
  const where = command === null ? '' : `${command}: `;
  const help = command === null ? 'tm help' : `tm help ${command}`;
  return new UsageError(`${where}unknown option: ${typed}${guess}`, `${help} lists the options`);
}
