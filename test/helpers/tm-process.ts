import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { ReplaySubject } from 'rxjs';
import { onTestFinished } from 'vitest';
import { withDeadline, type DaemonProcess, type Sandbox } from './daemon-process.js';
import { waitFor } from './wait.js';

/**
 * The built `tm` as a process (the e2e layer), run against a taskmasterd of a Sandbox.
 * Every tm started here carries the sandbox marker in its environment, and is SIGKILLed when
 * the test finishes if it is still running.
 */

export const TM = fileURLToPath(new URL('../../dist/src/bin/tm.cjs', import.meta.url));

export type TmResult = {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
};

export type TmOptions = {
  /** Variables added to tm's environment; undefined removes one. TM_CONFIG is removed unless given. */
  env?: Record<string, string | undefined>;
  /** ms until the run is given up (and tm killed). */
  ms?: number;
  /** Another tm.cjs than the build's (a copy to change). */
  tm?: string;
};

/** A running taskmasterd of `sandbox` and the port it listens on (its config says port 0). */
export async function startDaemon(
  sandbox: Sandbox,
): Promise<{ daemon: DaemonProcess; port: number }> {
  const daemon = sandbox.spawn();
  const { match } = await daemon.waitLine(/INFO listening on 127\.0\.0\.1:(\d+)$/);
  await daemon.waitLine(/INFO taskmasterd \d+ starting with /);
  return { daemon, port: Number(match[1]) };
}

/** A port nobody listens on: bound, then released at once. */
export async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** `tm ARGS…` run in `sandbox.dir` to its end: exit status and all it printed. */
export async function runTm(
  sandbox: Sandbox,
  args: readonly string[],
  options: TmOptions = {},
): Promise<TmResult> {
  const tm = spawnTm(sandbox, args, options);
  const what = () => `tm ${args.join(' ')} to finish; its output so far:\n${tm.stdout}${tm.stderr}`;
  return withDeadline(tm.result, options.ms ?? 15_000, what);
}

/** `tm ARGS…` started in `sandbox.dir`, for what runs until told to stop (`log -f`). */
export function spawnTm(
  sandbox: Sandbox,
  args: readonly string[],
  options: TmOptions = {},
): TmProcess {
  if (!existsSync(TM)) throw new Error(`${TM} is missing: run npm run build first (npm test does)`);
  const env: Record<string, string> = {};
  const wanted = {
    ...process.env,
    TM_CONFIG: undefined,
    NO_COLOR: undefined,
    ...options.env,
    TM_E2E_SANDBOX: sandbox.dir,
  };
  for (const [k, v] of Object.entries(wanted)) if (v !== undefined) env[k] = v;
  const child = spawn(process.execPath, [options.tm ?? TM, ...args], {
    cwd: sandbox.dir,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const tm = new TmProcess(child);
  onTestFinished(() => {
    if (tm.isRunning) child.kill('SIGKILL');
  });
  return tm;
}

export class TmProcess {
  readonly result: Promise<TmResult>;
  private out = '';
  private err = '';
  private readonly stdoutLines$ = new ReplaySubject<string>();

  constructor(readonly child: ChildProcess) {
    let partial = '';
    child.stdout!.setEncoding('utf8').on('data', (s: string) => {
      this.out += s;
      const parts = (partial + s).split('\n');
      partial = parts.pop()!;
      for (const line of parts) this.stdoutLines$.next(line);
    });
    child.stderr!.setEncoding('utf8').on('data', (s: string) => (this.err += s));
    this.result = new Promise((resolve) => {
      child.once('close', (code, signal) => {
        this.stdoutLines$.complete();
        resolve({ code, signal, stdout: this.out, stderr: this.err });
      });
    });
  }

  get stdout(): string {
    return this.out;
  }

  get stderr(): string {
    return this.err;
  }

  get isRunning(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The first stdout line (from the start) that matches, or an error at the deadline. */
  async waitLine(re: RegExp, ms?: number): Promise<string> {
    try {
      return await waitFor(
        this.stdoutLines$,
        (l) => re.test(l),
        `a tm line matching ${String(re)}`,
        ms,
      );
    } catch (error) {
      throw new Error(`${(error as Error).message}; tm printed:\n${this.out}${this.err}`, {
        cause: error,
      });
    }
  }
}
