import { spawn } from 'node:child_process';
import { TaskmasterError } from '../domain/errors.js';
import { Daemon } from './daemon.js';
import { initPlan, runUnderTini, UNDER_INIT } from './pid1.js';
import { takeSignals } from './signal-handlers.js';

const USAGE = `usage: taskmasterd -c CONFIG [--daemon]

  -c, --config FILE   the YAML config (default: $TM_CONFIG)
  -d, --daemon        detach from the terminal once started (writes daemon.pidfile)
  -h, --help          this help
  -v, --version       the version

Runs in the foreground by default, as systemd and containers expect. SIGHUP reloads the
config; SIGTERM, SIGINT or SIGQUIT stops every program and exits; SIGUSR2 reopens the log
file (for logrotate); other signals are logged and ignored. As PID 1 (a container's
entrypoint) it runs itself under tini, which reaps the orphans of its programs.`;

type Args = {
  config: string | null;
  daemon: boolean;
  daemonized: boolean;
  help: boolean;
  version: boolean;
};

/** Exit codes: 0 ok, 1 could not start, 2 usage or invalid config, 70 internal error. */
export async function runDaemon(argv: readonly string[], version: string): Promise<number> {
  let args: Args;
  try {
    args = parseArgs(argv);
  } catch (error) {
    process.stderr.write(`taskmasterd: ${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (args.help) return print(USAGE, 0);
  if (args.version) return print(`taskmasterd ${version}`, 0);
  const config = args.config ?? process.env.TM_CONFIG ?? null;
  if (config === null) {
    process.stderr.write(`taskmasterd: no config file: pass -c config.yaml\n${USAGE}\n`);
    return 2;
  }
  const init = initPlan(process.pid, process.env);
  if (init.kind === 'tini') return runUnderTini(init.tini);
  // the mark is for this process only: a program that runs a taskmasterd of its own is not under tini
  delete process.env[UNDER_INIT];
  if (args.daemon) return detach(argv);

  let daemon: Daemon;
  try {
    daemon = Daemon.open({ configFile: config, echo: args.daemonized ? null : process.stderr });
  } catch (error) {
    const e = error as Error;
    const hint =
      error instanceof TaskmasterError && error.hint !== null ? `\nhint: ${error.hint}` : '';
    process.stderr.write(`taskmasterd: ${e.message}${hint}\n`);
    process.send?.({ type: 'failed', message: e.message });
    return error instanceof TaskmasterError && error.code === 'CONFIG_INVALID' ? 2 : 1;
  }
  if (init.kind === 'alone') {
    daemon.log.warn(init.warning);
    // the log is echoed to stderr only in the foreground
    if (args.daemonized) process.stderr.write(`taskmasterd: ${init.warning}\n`);
  }
  // signals are taken from here on: one that came while the children are being started would
  // otherwise kill the daemon and leave them behind
  let isBooted = false;
  let isStopAsked = false;
  let exitCode = 0;
  const stop = (signal: string): boolean => {
    if (!isBooted) {
      isStopAsked = true;
      return true;
    }
    if (daemon.isStopping) return false;
    daemon.log.info(`${signal} received`);
    signals.flush();
    void daemon.shutdown();
    return true;
  };
  const signals = takeSignals(daemon.log, {
    shutdown: stop,
    reload: () => {
      if (!isBooted) return;
      try {
        daemon.reload();
      } catch (error) {
        // already in the daemon log when it is a config error; anything else is said here
        if (!(error instanceof TaskmasterError))
          daemon.log.error(`reload failed: ${String(error)}`);
      }
    },
  });
  process.on('uncaughtException', (error) => {
    // a bug: said in full, then every child is stopped so none is left unsupervised
    try {
      daemon.log.error(`internal error, shutting down: ${error.stack ?? String(error)}`);
    } catch {
      // the log itself failed: the shutdown matters more
    }
    exitCode = 70;
    if (isBooted) void daemon.shutdown();
  });
  // listen before anything starts: a daemon that cannot be controlled starts nothing
  try {
    await daemon.listen();
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    const { host, port } = daemon.currentConfig.server;
    const why = e.code === 'EADDRINUSE' ? 'the address is in use' : (e.code ?? e.message);
    daemon.log.error(`cannot listen on ${host}:${port}: ${why}`);
    process.stderr.write(`taskmasterd: cannot listen on ${host}:${port}: ${why}\n`);
    process.send?.({ type: 'failed', message: why });
    daemon.close();
    return 1;
  }
  daemon.boot();
  isBooted = true;
  if (isStopAsked) stop('a signal during start');
  process.send?.({ type: 'ready', pid: process.pid });
  process.disconnect?.();
  if (args.daemonized) {
    // the caller has let go of our stderr: a late warning must not kill the daemon with EPIPE
    process.stderr.on('error', () => {});
  }

  // a shutdown comes from a signal or from `tm shutdown`
  await daemon.stopped;
  return exitCode;
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = {
    config: null,
    daemon: false,
    daemonized: false,
    help: false,
    version: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-c' || a === '--config') {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a file`);
      args.config = v;
    } else if (a.startsWith('--config=')) args.config = a.slice('--config='.length);
    else if (a === '-d' || a === '--daemon') args.daemon = true;
    else if (a === '--daemonized') args.daemonized = true;
    else if (a === '-h' || a === '--help') args.help = true;
    else if (a === '-v' || a === '--version') args.version = true;
    else throw new Error(`unknown option: ${a}`);
  }
  return args;
}

function print(text: string, code: number): number {
  process.stdout.write(`${text}\n`);
  return code;
}

/**
 * `--daemon`: runs the same command again, detached, and waits until it says it is supervising
 * (or why it could not), so the exit status of this command tells whether the daemon is up.
 */
function detach(argv: readonly string[]): Promise<number> {
  const rest = argv.filter((a) => a !== '-d' && a !== '--daemon');
  // stderr is a pipe, relayed only until the daemon is up: inheriting it would keep the
  // caller's stderr (a `$(…)`, a pipe, an ssh session) open for the daemon's whole life
  const child = spawn(
    process.execPath,
    [...process.execArgv, process.argv[1]!, ...rest, '--daemonized'],
    { detached: true, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] },
  );
  child.stderr!.pipe(process.stderr, { end: false });
  return new Promise((resolve) => {
    child.once('message', (m: { type: string; pid?: number }) => {
      // a failure is followed by the daemon's exit, whose code says which (2: invalid config)
      if (m.type !== 'ready') return;
      process.stdout.write(`taskmasterd started, pid ${m.pid}\n`);
      child.stderr!.unpipe(process.stderr);
      child.stderr!.destroy();
      child.disconnect();
      child.unref();
      resolve(0);
    });
    child.once('exit', (code) => resolve(code ?? 1));
  });
}
