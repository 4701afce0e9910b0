import { TaskmasterError } from '../domain/errors.js';
import type { RpcConnection } from '../rpc/connection.js';
import { parseArgv, type GlobalOptions, type Invocation } from './argv.js';
import { lines, type Command, type Io, type Session } from './command.js';
import { EXIT, exitCodeFor } from './exit-codes.js';
import { commandHelp, generalHelp, helpCommand } from './commands/help.js';
import { importCommand } from './commands/import.js';
import { log } from './commands/log.js';
import { mail } from './commands/mail.js';
import { pid } from './commands/pid.js';
import { reload } from './commands/reload.js';
import { restart } from './commands/restart.js';
import { shutdown } from './commands/shutdown.js';
import { signal } from './commands/signal.js';
import { start } from './commands/start.js';
import { status } from './commands/status.js';
import { stop } from './commands/stop.js';
import { tail } from './commands/tail.js';
import { UsageError } from './usage-error.js';

/** Every command, in the order `tm help` lists them. */
export const COMMANDS: readonly Command[] = [
  status,
  start,
  stop,
  restart,
  signal,
  pid,
  log,
  tail,
  reload,
  shutdown,
  mail,
  importCommand,
  helpCommand(() => COMMANDS),
];

/** The real process: its streams, environment, clock and signals. */
export function processIo(): Io {
  return {
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    isTTY: process.stdout.isTTY === true,
    env: process.env,
    now: () => Date.now(),
    onInterrupt: (handler) => {
      process.on('SIGINT', handler);
      process.on('SIGTERM', handler);
      return () => {
        process.off('SIGINT', handler);
        process.off('SIGTERM', handler);
      };
    },
  };
}

/** Runs `tm ARGV…`; resolves with the exit status (exit-codes.ts, docs/tm.md). */
export async function runClient(
  argv: readonly string[],
  version: string,
  io: Io = processIo(),
): Promise<number> {
  let connection: RpcConnection | null = null;
  try {
    const inv = parse(argv);
    if (inv.command === null && !inv.global.version && !inv.global.help) {
      // no command: the interactive shell (or, from a pipe, a script of commands)
      // the shell's code (readline, history, completion) only for the shell
      const { runShell } = await import('./shell.js');
      return await runShell(inv.global, io, version, {
        commands: COMMANDS,
        parse,
        execute,
        connect,
        report,
      });
    }
    return await execute(
      inv,
      io,
      version,
      async () => (connection ??= await connect(inv.global, io.env)),
    );
  } catch (error) {
    return report(io, error);
  } finally {
    // set inside connect(), which TypeScript's narrowing does not see
    (connection as RpcConnection | null)?.close();
  }
}

/** A command line as words: the command, its options and arguments, and the global options. */
export function parse(argv: readonly string[]): Invocation {
  return parseArgv(
    argv,
    (name) => COMMANDS.find((c) => c.name === name)?.options ?? null,
    COMMANDS.map((c) => c.name),
  );
}

/** Runs one parsed command on a connection `connect` provides; throws what it cannot do. */
export async function execute(
  inv: Invocation,
  io: Io,
  version: string,
  connectTo: () => Promise<RpcConnection>,
): Promise<number> {
  if (inv.global.version) {
    io.stdout(`tm ${version}\n`);
    return EXIT.ok;
  }
  const command = COMMANDS.find((c) => c.name === inv.command);
  if (command === undefined) {
    io.stdout(lines(generalHelp(COMMANDS)));
    return EXIT.ok;
  }
  if (inv.global.help) {
    io.stdout(lines(commandHelp(command)));
    return EXIT.ok;
  }
  checkArity(command, inv.args);
  const session: Session = {
    io,
    json: inv.global.json,
    color: io.isTTY && !inv.global.json && (io.env.NO_COLOR ?? '') === '',
    connect: connectTo,
  };
  return await command.run(session, { args: inv.args, options: inv.options });
}

function checkArity(c: Command, args: readonly string[]): void {
  const { min, max } = c.arity;
  const usage = `usage: tm ${c.synopsis}`;
  if (args.length < min) {
    const what = c.synopsis.split(' ').filter((w) => /^[A-Z]/.test(w));
    throw new UsageError(`${c.name}: missing ${what.slice(args.length).join(' ')}`, usage);
  }
  if (max !== null && args.length > max) {
    const extra = args.slice(max).join(' ');
    const takes = max === 0 ? 'takes no arguments' : `takes at most ${max}`;
    throw new UsageError(`${c.name}: ${takes}, found "${extra}"`, usage);
  }
}

/**
 * The authenticated connection to the daemon of `global`'s config. Its code (the wire, msgpack,
 * the config's server section) is loaded only by the commands that talk to the daemon.
 */
export async function connect(
  global: GlobalOptions,
  env: Readonly<Record<string, string | undefined>>,
): Promise<RpcConnection> {
  const { connectDaemon } = await import('./connect-daemon.js');
  return await connectDaemon(global, env);
}

/** `tm: message` and `hint: …` on stderr; the exit status for the error. */
export function report(io: Io, error: unknown): number {
  if (error instanceof UsageError || error instanceof TaskmasterError) {
    const hint = error.hint === null ? '' : `hint: ${error.hint}\n`;
    io.stderr(`tm: ${error.message}\n${hint}`);
    return error instanceof UsageError ? EXIT.usage : exitCodeFor(error.code);
  }
  // a bug in tm: all of it, so that it can be reported
  const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
  io.stderr(`tm: internal error: ${text}\n`);
  return EXIT.failed;
}
