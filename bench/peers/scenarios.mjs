// The scenarios, the same for every system. Each runs in a session of its own (a fresh daemon,
// config, sockets and temp folder, see run.mjs) and adds samples with `add(figureId, value)`.
// A session's driver `s` (systems/*.mjs) launches the daemon, lists instances through the
// system's API, and gives the argv of its CLI for status, stop, start, stop all and shutdown.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { clearTimeout } from 'node:timers';
import { cmdline, cpuTicks, isAlive, listPids, parentPid, record, rssMiB } from './procs.mjs';
import { runCli } from './systems/common.mjs';
import { sleep, until } from './until.mjs';

export const SLEEP = ['sleep', '100000'];
const GRANDCHILD = ['sleep', '100001'];
const FORKER = ['sh', '-c', `${GRANDCHILD.join(' ')} & wait`];

/** The same command, whether argv[0] was run as written or as the path it was found at. */
const sameArgv = (a, b) =>
  a !== null &&
  a.length === b.length &&
  a.every((x, i) => x === b[i] || (i === 0 && x.endsWith(`/${b[0]}`)));
const sleepers = (count) => ({
  name: 'sleep',
  argv: SLEEP,
  count,
  autostart: true,
  autorestart: true,
});

/** What the figures are called in the table, for the counts of this run. */
export function figures(c) {
  const mb = Math.round(c.stdoutBytes / 1024 / 1024);
  return [
    {
      id: 'cold.small',
      label: `all ${c.small} \`sleep\` running after launch`,
      unit: 'ms',
      ratio: true,
    },
    { id: 'cold.large', label: `all ${c.large} running after launch`, unit: 'ms', ratio: true },
    { id: 'status', label: `\`status\` with ${c.small} (CLI wall time)`, unit: 'ms', ratio: true },
    { id: 'stopOne', label: 'stop one (CLI returns)', unit: 'ms', ratio: true },
    { id: 'startOne', label: 'start one (CLI returns)', unit: 'ms', ratio: true },
    { id: 'restart', label: 'SIGKILL of a child → new process running', unit: 'ms', ratio: true },
    { id: 'rss.0', label: 'daemon RSS, no programs', unit: 'MiB', ratio: true },
    { id: 'rss.small', label: `daemon RSS, ${c.small} running`, unit: 'MiB', ratio: true },
    { id: 'rss.large', label: `daemon RSS, ${c.large} running`, unit: 'MiB', ratio: true },
    {
      id: 'idle',
      label: `daemon CPU over ${c.idleMs / 1000} s idle, ${c.small} running`,
      unit: 'ms',
      ratio: true,
    },
    {
      id: 'idle.late',
      label: `… over the next ${c.idleMs / 1000} s`,
      unit: 'ms',
      ratio: true,
    },
    {
      id: 'stdout.time',
      label: `${mb} MiB of stdout to a file: start → exited`,
      unit: 'ms',
      ratio: true,
    },
    { id: 'stdout.cpu', label: `${mb} MiB of stdout: daemon CPU`, unit: 'ms', ratio: true },
    {
      id: 'stdout.lost',
      label: `${mb} MiB of stdout: missing from the file`,
      unit: 'MiB',
      ratio: false,
    },
    { id: 'stopAll', label: `stop all ${c.small} (CLI returns)`, unit: 'ms', ratio: true },
    {
      id: 'shutdown',
      label: `shutdown with ${c.large} running (CLI → daemon gone)`,
      unit: 'ms',
      ratio: true,
    },
    {
      id: 'leftShutdown',
      label: 'processes left after that shutdown',
      unit: 'count',
      ratio: false,
    },
    {
      id: 'grandchildren',
      label: 'grandchildren left 1 s after stop',
      unit: 'count',
      ratio: false,
    },
    {
      id: 'copies',
      label: `copies of each of ${c.relaunch} programs after daemon SIGKILL + relaunch`,
      unit: 'count',
      ratio: false,
    },
  ];
}

const since = (t0) => performance.now() - t0;

async function countRunning(s, n, what, timeoutMs = 180_000) {
  const rows = await until(
    async () => {
      const rows = await s.list();
      return rows.filter((r) => r.state === 'running').length >= n ? rows : null;
    },
    what,
    { timeoutMs, everyMs: 50 },
  );
  for (const r of rows) if (r.pid !== null) record(r.pid);
  return rows;
}

/** Launch → every instance running, as the system's API reports it (asked every 50 ms). */
async function coldStart(s, n) {
  const t0 = performance.now();
  await s.launch();
  await countRunning(s, n, `all ${n} running`);
  return since(t0);
}

async function answers(s) {
  await s.launch();
  await until(async () => (await s.list(), true), 'the daemon to answer', { everyMs: 50 });
}

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)),
        ms,
      );
    }),
  ]);
}

/** A graceful end, not measured: the CLI's shutdown, then the daemon gone. */
async function shutdown(s) {
  await s.disconnect();
  await runCli(s.cli('shutdown'));
  await withTimeout(s.waitGone(), 60_000, 'the daemon to exit after shutdown');
}

/**
 * A child of `daemon` running `argv` that is not in `known`. Pids that are not the daemon's
 * children are added to `known` so that each is read once; the daemon's own new children are read
 * again until they have exec'd (between fork and exec a child still shows its parent's command).
 */
function newChild(daemon, known, argv) {
  for (const pid of listPids()) {
    if (known.has(pid)) continue;
    if (parentPid(pid) !== daemon) {
      known.add(pid);
      continue;
    }
    if (sameArgv(cmdline(pid), argv)) return pid;
  }
  return null;
}

/**
 * SIGKILL of an instance's recorded pid → its replacement has exec'd. The replacement is looked
 * for in /proc every millisecond, not asked of the daemon: asking would load taskmasterd's event
 * loop and wake supervisord's (it restarts on its next turn, up to a second later when unasked).
 * The system must then report the new pid as running.
 */
async function restartAfterKill(s, name) {
  const { pid: old, state } = await s.one(name);
  if (state !== 'running' || old === null) throw new Error(`${name} is ${state}, not running`);
  const daemon = s.daemonPid();
  const known = new Set(listPids());
  const t0 = performance.now();
  process.kill(old, 'SIGKILL');
  const fresh = await until(() => newChild(daemon, known, SLEEP), `a new ${name} after SIGKILL`, {
    timeoutMs: 30_000,
    everyMs: 1,
  });
  const ms = since(t0);
  record(fresh);
  await until(
    async () => {
      const o = await s.one(name);
      return o.state === 'running' && o.pid === fresh;
    },
    `${name} reported running with pid ${fresh}`,
    { timeoutMs: 10_000 },
  );
  return ms;
}

/** No programs: the daemon's own memory. */
export const empty = {
  programs: () => [],
  async run(s, add) {
    await answers(s);
    await sleep(1000);
    add('rss.0', rssMiB(s.daemonPid()));
    await shutdown(s);
  },
};

/** `small` sleepers: cold start, RSS, idle CPU, the CLI's commands, restart after SIGKILL, stop all. */
export const small = {
  programs: (_dir, c) => [sleepers(c.small)],
  async run(s, add, c, { idle }) {
    add('cold.small', await coldStart(s, c.small));
    await sleep(1000); // RSS a second after all run, the same moment for every system
    const daemon = s.daemonPid();
    add('rss.small', rssMiB(daemon));
    if (idle) {
      // two windows: the first holds what settles after a start (a runtime's collection of
      // the start's garbage, say), the second what an idle daemon costs for good
      const t0 = cpuTicks(daemon);
      await sleep(c.idleMs);
      const t1 = cpuTicks(daemon);
      add('idle', (t1 - t0) * c.msPerTick);
      await sleep(c.idleMs);
      add('idle.late', (cpuTicks(daemon) - t1) * c.msPerTick);
    }
    for (let i = 0; i < 3; i += 1) add('status', await runCli(s.cli('status')));
    for (const i of [0, 1]) {
      const name = s.instance('sleep', i);
      add('stopOne', await runCli(s.cli('stop', name)));
      add('startOne', await runCli(s.cli('start', name)));
    }
    for (const i of [1, 2, 3])
      add('restart', await restartAfterKill(s, s.instance('sleep', c.small - i)));
    await countRunning(s, c.small, `all ${c.small} running before stop all`, 30_000);
    add('stopAll', await runCli(s.cli('stopAll')));
    await shutdown(s);
  },
};

/** `large` sleepers: cold start, RSS, and a shutdown with all running. */
export const large = {
  programs: (_dir, c) => [sleepers(c.large)],
  async run(s, add, c, _opts, marker) {
    add('cold.large', await coldStart(s, c.large));
    await sleep(1000);
    add('rss.large', rssMiB(s.daemonPid()));
    await s.disconnect();
    const t0 = performance.now();
    await runCli(s.cli('shutdown'));
    await withTimeout(s.waitGone(), 120_000, 'the daemon to exit after shutdown');
    add('shutdown', since(t0));
    add('leftShutdown', marker.alive().length);
  },
};

/** A program that forks a grandchild (`sh -c 'sleep … & wait'`): is it gone after a stop? */
export const grandchild = {
  programs: () => [{ name: 'forker', argv: FORKER, count: 1, autostart: true, autorestart: true }],
  async run(s, add) {
    await s.launch();
    const [{ pid }] = await countRunning(s, 1, 'the forker running');
    const kids = await until(
      () => {
        const k = listPids().filter(
          (p) => parentPid(p) === pid && sameArgv(cmdline(p), GRANDCHILD),
        );
        return k.length > 0 ? k : null;
      },
      `the grandchild of ${pid}`,
      { timeoutMs: 10_000 },
    );
    for (const k of kids) record(k);
    await runCli(s.cli('stopAll'));
    // a group kill is done within that second; a grandchild that outlives it is orphaned for good
    await until(() => kids.every((k) => !isAlive(k)), 'the grandchild to go', {
      timeoutMs: 1000,
    }).catch(() => {});
    add('grandchildren', kids.filter((k) => isAlive(k)).length);
    await shutdown(s);
  },
};

/** SIGKILL of the daemon, then the same launch again: how many copies of each program run? */
export const relaunch = {
  programs: (_dir, c) => [sleepers(c.relaunch)],
  async run(s, add, c, _opts, marker) {
    await s.launch();
    await countRunning(s, c.relaunch, `all ${c.relaunch} running`);
    await s.disconnect();
    process.kill(s.daemonPid(), 'SIGKILL');
    await withTimeout(s.waitGone(), 10_000, 'the daemon to die of SIGKILL');
    await s.launch();
    await countRunning(s, c.relaunch, `all ${c.relaunch} running after the relaunch`);
    const copies = marker.alive().filter((p) => sameArgv(cmdline(p), SLEEP)).length;
    add('copies', copies / c.relaunch);
    await shutdown(s);
  },
};

/** One program writing `stdoutBytes` of zeros to its stdout, a file: time to exit, daemon CPU. */
export const stdout = {
  programs: (dir, c) => [
    {
      name: 'big',
      argv: ['head', '-c', String(c.stdoutBytes), '/dev/zero'],
      count: 1,
      autostart: false,
      autorestart: false,
      stdoutFile: join(dir, 'big.out'),
    },
  ],
  async run(s, add, c, _opts, _marker, dir) {
    const file = join(dir, 'big.out');
    const size = () => {
      try {
        return statSync(file).size;
      } catch {
        return 0;
      }
    };
    await answers(s);
    const name = s.instance('big', 0);
    const daemon = s.daemonPid();
    const ticks0 = cpuTicks(daemon);
    const t0 = performance.now();
    await s.startApi(name);
    // done when it has exited and its output is all in the file; or, when some never arrives
    // (PM2 7 drops what it has not written when the program exits), once the file has not grown
    // for 2 s after the exit: the time is then that of the exit
    let grew = { size: -1, atMs: 0 };
    let exitedAtMs = null;
    const doneAtMs = await until(
      async () => {
        const now = performance.now();
        const n = size();
        if (n !== grew.size) grew = { size: n, atMs: now };
        const { state } = await s.one(name);
        if (state !== 'exited' && state !== 'stopped') return null;
        exitedAtMs ??= now;
        if (n >= c.stdoutBytes) return now;
        return now - grew.atMs > 2000 ? exitedAtMs : null;
      },
      `${name} to write ${c.stdoutBytes} bytes and exit`,
      { timeoutMs: 600_000, everyMs: 20 },
    );
    add('stdout.time', doneAtMs - t0);
    add('stdout.cpu', (cpuTicks(daemon) - ticks0) * c.msPerTick);
    add('stdout.lost', (c.stdoutBytes - size()) / 1024 / 1024);
    await shutdown(s);
  },
};
