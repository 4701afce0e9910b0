import { createInterface, type Interface } from 'node:readline';
import { splitCommand } from '../config/split-command.js';
import { TaskmasterError } from '../domain/errors.js';
import type { RpcConnection } from '../rpc/connection.js';
import type { GlobalOptions, Invocation } from './argv.js';
import type { Command, Io } from './command.js';
import { completeLine, typedTabs, type Completion } from './complete-line.js';
import { findDaemon } from './daemon-address.js';
import { EXIT } from './exit-codes.js';
import { historyFile, loadHistory, saveHistory } from './history.js';

/** What the shell borrows from the one-shot client (injected: cli.ts starts the shell). */
export type ShellDeps = {
  commands: readonly Command[];
  parse: (argv: readonly string[]) => Invocation;
  execute: (
    inv: Invocation,
    io: Io,
    version: string,
    connect: () => Promise<RpcConnection>,
  ) => Promise<number>;
  connect: (global: GlobalOptions, env: Io['env']) => Promise<RpcConnection>;
  report: (io: Io, error: unknown) => number;
};

export type ShellStreams = {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  /** A person at a terminal: prompt, line editing, history, completion. Else a script. */
  isTerminal: boolean;
};

const LEAVE = new Set(['exit', 'quit']);
/** How long completion trusts the names it fetched (a double Tab asks once, not twice). */
const NAMES_TTL_MS = 2000;

/**
 * `tm` without a command: a control shell, every one-shot command at a prompt, with readline's
 * line editing, a history kept across sessions, and completion of commands, flags, signals and
 * the names the daemon has. From a pipe it runs the lines as a script, without prompts.
 */
export async function runShell(
  global: GlobalOptions,
  io: Io,
  version: string,
  deps: ShellDeps,
  streams: ShellStreams = {
    input: process.stdin,
    output: process.stdout,
    isTerminal: process.stdin.isTTY === true && process.stdout.isTTY === true,
  },
): Promise<number> {
  // the address is known before anything is asked: a config tm cannot use is a usage error
  const { endpoint } = await findDaemon(global, io.env);
  const shell = new Shell(global, io, version, deps, streams);
  const where = `${endpoint.host}:${endpoint.port}`;
  return shell.run(`tm ${where}> `, where);
}

class Shell {
  private connection: RpcConnection | null = null;
  private names: string[] | null = null;
  /** Ctrl-C handlers of the command running (a -f), innermost last. */
  private readonly interrupts: (() => void)[] = [];
  private rl!: Interface;
  private status: number = EXIT.ok;
  private isRunning = false;
  /** When the names were fetched: a reload elsewhere changes them, so they are kept briefly. */
  private namesAtMs = 0;

  constructor(
    private readonly global: GlobalOptions,
    private readonly io: Io,
    private readonly version: string,
    private readonly deps: ShellDeps,
    private readonly streams: ShellStreams,
  ) {}

  async run(prompt: string, where: string): Promise<number> {
    const { isTerminal } = this.streams;
    const file = historyFile(this.io.env);
    this.rl = createInterface({
      input: this.streams.input,
      output: this.streams.output,
      terminal: isTerminal,
      prompt,
      ...(isTerminal
        ? {
            history: loadHistory(file),
            historySize: 1000,
            completer: (line: string, done: (e: null, r: Completion) => void) =>
              void this.complete(line).then((r) => done(null, r)),
          }
        : {}),
    });
    if (isTerminal) {
      this.rl.on('history', (history: string[]) => saveHistory(file, history));
      this.rl.on('SIGINT', () => this.interrupt());
      this.io.stdout(
        `taskmaster control shell for taskmasterd at ${where}: help lists the commands; exit, quit or Ctrl-D leave\n`,
      );
      this.rl.prompt();
    }
    for await (const line of this.rl) {
      const words = this.words(line);
      if (words !== null && words.length > 0) {
        if (LEAVE.has(words[0]!)) break;
        await this.runLine(words);
      }
      if (isTerminal) this.rl.prompt();
    }
    if (isTerminal) this.io.stdout('\n');
    this.rl.close();
    this.connection?.close();
    return this.status;
  }

  private words(line: string): string[] | null {
    try {
      return splitCommand(line.trim() === '' ? '' : line);
    } catch (error) {
      if (line.trim() === '') return [];
      this.io.stderr(`tm: ${(error as Error).message}\n`);
      this.status = EXIT.usage;
      return null;
    }
  }

  private async runLine(words: string[]): Promise<void> {
    const io: Io = { ...this.io, onInterrupt: (handler) => this.onInterrupt(handler) };
    let status: number;
    this.isRunning = true;
    try {
      const inv = this.deps.parse(words);
      const run = () => this.deps.execute(inv, io, this.version, () => this.connect());
      try {
        status = await run();
      } catch (error) {
        // sent as the daemon closed the connection for being idle: it ignored the request (an
        // idle connection has none in flight), so the command runs again on a new connection
        if (!(error instanceof TaskmasterError && error.code === 'IDLE_TIMEOUT')) throw error;
        status = await run();
      }
      // names may have changed: fetched again at the next completion
      if (inv.command === 'reload') this.names = null;
    } catch (error) {
      status = this.deps.report(io, error);
    } finally {
      this.isRunning = false;
    }
    if (status !== EXIT.ok) this.status = status;
  }

  /** The open connection, or a new one: a daemon that went away is reached again here. */
  private async connect(): Promise<RpcConnection> {
    if (this.connection !== null && !this.connection.isClosed) return this.connection;
    const connection = await this.deps.connect(this.global, this.io.env);
    this.connection = connection;
    this.names = null;
    void connection.closed.then(() => {
      if (this.connection !== connection || connection.isClosedByUs) return;
      // closed for being idle: nothing was lost, and the next command connects again
      if (connection.closeReason?.code === 'IDLE_TIMEOUT') return;
      this.io.stderr('\ntm: lost the connection to taskmasterd; the next command reconnects\n');
      if (this.streams.isTerminal && this.interrupts.length === 0) this.rl.prompt(true);
    });
    return connection;
  }

  private onInterrupt(handler: () => void): () => void {
    this.interrupts.push(handler);
    return () => {
      const i = this.interrupts.lastIndexOf(handler);
      if (i !== -1) this.interrupts.splice(i, 1);
    };
  }

  /** Ctrl-C: ends what runs (a -f), else clears the line being typed; never leaves the shell. */
  private interrupt(): void {
    const handler = this.interrupts.at(-1);
    if (handler !== undefined) {
      handler();
      return;
    }
    // a start/stop waiting for its outcome: its answer comes, then the prompt (a new prompt
    // now would have the answer land in the middle of the next line)
    if (this.isRunning) return;
    this.rl.write(null, { ctrl: true, name: 'e' });
    this.rl.write(null, { ctrl: true, name: 'u' });
    this.io.stdout('^C\n');
    this.rl.prompt();
  }

  private async complete(line: string): Promise<Completion> {
    const tabs = typedTabs(line);
    const result = await completeLine(line.slice(0, line.length - tabs), {
      commands: this.deps.commands,
      extraFirstWords: [...LEAVE],
      names: () => this.instanceNames(),
    });
    // the Tabs readline took as text were asked as completion: out of the line they go, and
    // readline lists the candidates, as for Tabs read one at a time
    for (let i = 0; i < tabs; i++) this.rl.write(null, { name: 'backspace' });
    return result;
  }

  /** Programs, `prog:*` and each `prog:N` the daemon has, and `all`; none if it is unreachable. */
  private async instanceNames(): Promise<string[]> {
    if (this.names !== null && this.io.now() - this.namesAtMs < NAMES_TTL_MS) return this.names;
    try {
      const { programs } = await (await this.connect()).call('names', {});
      this.namesAtMs = this.io.now();
      this.names = [
        'all',
        ...programs.flatMap((p) => [
          p.name,
          `${p.name}:*`,
          ...Array.from({ length: p.numprocs }, (_, i) => `${p.name}:${i}`),
        ]),
      ];
    } catch {
      // completion is a convenience: a daemon out of reach completes no names, says nothing
      return [];
    }
    return this.names;
  }
}
