import { TaskmasterError } from '../domain/errors.js';
import { VERSION } from '../domain/version.js';
import { readToken } from '../rpc/auth.js';
import { RpcConnection } from '../rpc/connection.js';
import { parseArgv, type GlobalOptions, type Invocation } from './argv.js';
import { runShell } from './shell.js';
import { lines, type Command, type Io, type Session } from './command.js';
import { findDaemon } from './daemon-address.js';
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

export async function connect(
  global: GlobalOptions,
  env: Readonly<Record<string, string | undefined>>,
): Promise<RpcConnection> {
  const daemon = findDaemon(global, env);
  const token = readToken(daemon.tokenfile);
  try {
    // named in the daemon's event log beside each action it asks
    return await RpcConnection.open(daemon.endpoint, token, undefined, `tm ${VERSION}`);
  } catch (error) {
    if (!(error instanceof TaskmasterError)) throw error;
    // the hint names the config the user gave, not a generic one
    if (error.code === 'UNREACHABLE') {
      throw new TaskmasterError('UNREACHABLE', error.message, {
        hint: `is it running? start it with taskmasterd -c ${daemon.configFile}`,
        cause: error,
      });
    }
    // something answered hello in another protocol (an HTTP server, say): not a daemon of ours
    if (error.code === 'BAD_FRAME' || error.code === 'FRAME_TOO_LARGE') {
      const { host, port } = daemon.endpoint;
      throw new TaskmasterError(
        'UNREACHABLE',
        `cannot reach taskmasterd at ${host}:${port}: what listens there does not speak its protocol (${error.message})`,
        { hint: `check --port, or server.port in ${daemon.configFile}`, cause: error },
      );
    }
    throw error;
  }
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
