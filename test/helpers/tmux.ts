import { execFileSync } from 'node:child_process';
import { interval, map, startWith } from 'rxjs';
import { waitFor } from './wait.js';

let sessions = 0;

/**
 * A program in a real pseudo-terminal: tmux runs it, `type`/`keys` send keystrokes, `screen`
 * reads what a person would see. Each session has its own tmux server (socket), killed by `kill`.
 */
export class TmuxSession {
  private constructor(
    private readonly socket: string,
    readonly name: string,
  ) {}

  static start(command: readonly string[], options: { cwd: string; env?: Record<string, string> }) {
    const socket = `tm-test-${process.pid}-${++sessions}`;
    const session = new TmuxSession(socket, 'main');
    const env = Object.entries(options.env ?? {}).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
    session.tmux(
      'new-session',
      '-d',
      '-s',
      'main',
      '-x',
      '150',
      '-y',
      '40',
      '-c',
      options.cwd,
      ...env,
      // the pane outlives the program, so its last screen can still be read
      `${command.map(shellQuote).join(' ')}; echo "[exited $?]"; sleep 1000`,
    );
    return session;
  }

  /** Literal text, as typed. */
  type(text: string): void {
    this.tmux('send-keys', '-t', this.name, '-l', text);
  }

  /** Named keys: Enter, Tab, Up, C-a, C-c, C-d … */
  keys(...keys: string[]): void {
    this.tmux('send-keys', '-t', this.name, ...keys);
  }

  screen(): string {
    return this.tmux('capture-pane', '-p', '-t', this.name);
  }

  /** The screen once it matches, read every 50 ms until the deadline. */
  waitScreen(
    pattern: RegExp | ((screen: string) => boolean),
    what: string,
    ms = 8000,
  ): Promise<string> {
    const matches = typeof pattern === 'function' ? pattern : (s: string) => pattern.test(s);
    const screens = interval(50).pipe(
      startWith(0),
      map(() => this.screen()),
    );
    return waitFor(
      screens,
      matches,
      // the screen at the deadline, not the one before the keys were answered
      () => `${what} (screen: ${JSON.stringify(this.screen().trimEnd())})`,
      ms,
    );
  }

  kill(): void {
    try {
      this.tmux('kill-server');
    } catch {
      // already gone
    }
  }

  private tmux(...args: string[]): string {
    return execFileSync('tmux', ['-L', this.socket, ...args], { encoding: 'utf8' });
  }
}

function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
