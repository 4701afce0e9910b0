// What the three systems' drivers share: the daemon's output file, a free port, argv as a shell
// would split it back, and a CLI run timed from spawn to exit.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { record } from '../procs.mjs';

/** argv as one command line that a POSIX shell (and Python's shlex, and tm) splits back. */
export function shellJoin(argv) {
  return argv
    .map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`))
    .join(' ');
}

export async function freePort() {
  const server = createServer();
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Starts a daemon in the foreground with its output to `daemon.out` in the session folder, and
 * records its pid. `exited` settles when it exits.
 */
export function spawnDaemon(cmd, args, { cwd, env }) {
  const out = openSync(join(cwd, 'daemon.out'), 'a');
  const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', out, out] });
  closeSync(out);
  if (child.pid === undefined) throw new Error(`could not start ${cmd}`);
  record(child.pid);
  const exited = new Promise((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  child.once('error', () => {}); // a failed spawn also ends in 'exit'
  return { pid: child.pid, exited };
}

/** The end of the daemon's output, for an error message. */
export function daemonOutputTail(cwd) {
  try {
    return readFileSync(join(cwd, 'daemon.out'), 'utf8').slice(-2000);
  } catch {
    return '(no output)';
  }
}

/**
 * Runs a CLI to its exit: wall time from spawn to exit, in ms. A failed command (an exit code not
 * in `okCodes`) throws with its output.
 */
export function runCli({ cmd, args, env, cwd, okCodes = [0] }) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    if (child.pid !== undefined) record(child.pid);
    let out = '';
    const keep = (s) => (out = (out + s).slice(-4000));
    child.stdout.setEncoding('utf8').on('data', keep);
    child.stderr.setEncoding('utf8').on('data', keep);
    let ms = null;
    let code = null;
    child.once('exit', (c, signal) => {
      ms = performance.now() - t0;
      code = c ?? signal;
    });
    child.once('error', reject);
    child.once('close', () => {
      if (okCodes.includes(code)) resolve(ms);
      else reject(new Error(`${cmd} ${args.join(' ')} exited with ${code}:\n${out.trim()}`));
    });
  });
}

/** The words of a CLI verb the scenarios use; each system's CLI names them alike, but shutdown. */
export function cliWords(verb, name, shutdown = ['shutdown']) {
  return {
    status: ['status'],
    stop: ['stop', name],
    start: ['start', name],
    stopAll: ['stop', 'all'],
    shutdown,
  }[verb];
}
