import type { RpcConnection } from '../rpc/connection.js';
import type { OptionSpec } from './argv.js';

/** The world a command runs in; a test passes its own (no process, no terminal). */
export type Io = {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** stdout is a terminal: states may be coloured. */
  isTTY: boolean;
  env: Readonly<Record<string, string | undefined>>;
  now: () => number;
  /** Runs `handler` on Ctrl-C (SIGINT) or SIGTERM instead of dying; returns the undo. */
  onInterrupt: (handler: () => void) => () => void;
};

export type Session = {
  readonly io: Io;
  /** --json: machine-readable output on stdout. */
  readonly json: boolean;
  /** States are coloured: stdout is a terminal, NO_COLOR is unset and the output is text. */
  readonly color: boolean;
  /** The authenticated connection to the daemon, opened at the first call; tm closes it. */
  connect: () => Promise<RpcConnection>;
};

export type CommandInput = {
  /** The arguments after the command name, options taken out. */
  args: readonly string[];
  /** The command's own options given, by long name without dashes (`limit`, `no-wait`). */
  options: ReadonlyMap<string, string | true>;
};

/** One `tm` command: what `tm help` says of it, what it accepts, and what it does. */
export type Command = {
  name: string;
  /** The usage after `tm `: `start [--no-wait] NAME…`. */
  synopsis: string;
  /** One line for the command list. */
  summary: string;
  /** More lines for `tm help COMMAND`. */
  details: readonly string[];
  options: readonly OptionSpec[];
  /** How many arguments it takes (null: no upper bound). */
  arity: { min: number; max: number | null };
  /** The exit status (exit-codes.ts); a thrown error is reported by the caller. */
  run: (session: Session, input: CommandInput) => Promise<number>;
};

/** Lines as text for stdout, each ended by a newline. */
export function lines(ls: readonly string[]): string {
  return ls.map((l) => `${l}\n`).join('');
}

export function jsonText(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
