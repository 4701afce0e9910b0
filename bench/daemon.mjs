#!/usr/bin/env node
// The daemon's cost (issue 10), measured on the built taskmasterd as a user runs it: in the
// foreground, its log echoed to a pipe, programs of `sleep` with starttime 0. For each size it
// launches a fresh daemon in a temp dir and reports, per run, then as median (min–max):
//   - launch → all running: from just before the daemon is spawned to the last `running` row of
//     the event log (the row's own time, so the polling here does not count);
//   - RSS (VmRSS of /proc/PID/status) once things have settled, and the slope per instance;
//   - idle CPU: utime + stime of /proc/PID/stat over --idle seconds with nothing happening;
//   - restart after SIGKILL of a running child (autorestart always): from the kill to the new
//     process's `running` row, one instance at a time (each a first restart, which is at once),
//     beside its floor: a bare child_process.spawn of the same sleep, killed and spawned again on
//     its exit, in this process;
//   - `tm stop all` then `tm start all` (wall time of the built tm, which waits for every
//     instance), beside `node -e 0`.
// Every process is cleaned up by its recorded pid: the daemon's, and those of its event log.
// Opt-in (not in CI):  npm run bench:daemon -- [--runs 5] [--sizes 0,100,500,1000] [--kills 20]
//                      [--idle 10] [--settle 3] [--root DIR]   (DIR: another checkout's build)
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { clearTimeout } from 'node:timers';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? fallback : args[i + 1];
};
const runs = Number(opt('runs', 5));
const sizes = String(opt('sizes', '0,100,500,1000')).split(',').map(Number);
const kills = Number(opt('kills', 20));
const idleS = Number(opt('idle', 10));
const settleS = Number(opt('settle', 3));
const root = resolve(opt('root', fileURLToPath(new URL('..', import.meta.url))));
const taskmasterd = join(root, 'dist/src/bin/taskmasterd.js');
const tm = join(root, 'dist/src/bin/tm.cjs');
if (!existsSync(taskmasterd)) {
  console.error(`no build at ${taskmasterd}: run npm run build there first`);
  process.exit(2);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const summary = (xs, digits = 0) =>
  xs.length === 0
    ? 'n/a'
    : `${median(xs).toFixed(digits)} (${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)})`;

const rssKiB = (pid) =>
  Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
const cpuTicks = (pid) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
};

/** Runs a command to its end; resolves with its wall time in ms. */
function timed(argv, cwd) {
  const t0 = performance.now();
  const child = spawn(argv[0], argv.slice(1), { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  return new Promise((res, rej) =>
    child.once('exit', (code) =>
      code === 0
        ? res(performance.now() - t0)
        : rej(new Error(`${argv.join(' ')} exited ${code}: ${err}`)),
    ),
  );
}

/** The floor of a restart: kill a bare child, spawn the same program again on its exit. */
async function bareRestartMs() {
  const samples = [];
  let child = spawn('sleep', ['1000000'], { detached: true, stdio: 'ignore' });
  for (let i = 0; i < kills; i++) {
    await sleep(20);
    const t0 = performance.now();
    const next = new Promise((res) =>
      child.once('exit', () => {
        const c = spawn('sleep', ['1000000'], { detached: true, stdio: 'ignore' });
        samples.push(performance.now() - t0);
        res(c);
      }),
    );
    process.kill(child.pid, 'SIGKILL');
    child = await next;
  }
  process.kill(child.pid, 'SIGKILL');
  return samples;
}

/** One daemon with `n` instances: everything measured on it, then shut down and checked. */
async function oneDaemon(n, { idle, restart, startAll }) {
  const dir = mkdtempSync(join(tmpdir(), 'tm-bench-daemon-'));
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    (n === 0
      ? 'programs: {}\n'
      : `programs:\n  s:\n    cmd: sleep 1000000\n    numprocs: ${n}\n    starttime: 0\n` +
        `    autorestart: always\n    stoptime: 2\n`) + 'server:\n  port: 0\n',
  );
  const eventlog = join(dir, 'taskmaster.db');
  const result = {};
  const t0 = Date.now();
  const daemon = spawn(process.execPath, [taskmasterd, '-c', config], {
    cwd: dir,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  let port = null;
  daemon.stderr.setEncoding('utf8');
  daemon.stderr.on('data', (s) => {
    stderr = (stderr + s).slice(-20_000);
    port ??= /listening on [^\s]+:(\d+)/.exec(stderr)?.[1] ?? null;
  });
  const exited = new Promise((res) => daemon.once('exit', (code, signal) => res({ code, signal })));
  let db = null;
  try {
    // the event log exists once the daemon has opened it; its tables once migrated
    for (;;) {
      if (daemon.exitCode !== null) throw new Error(`taskmasterd exited:\n${stderr}`);
      try {
        db = new Database(eventlog, { readonly: true, fileMustExist: true });
        db.prepare('SELECT 1 FROM instances LIMIT 1').get();
        break;
      } catch {
        db?.close();
        db = null;
        await sleep(10);
      }
    }
    const runningCount = db.prepare("SELECT COUNT(*) AS c FROM instances WHERE state = 'running'");
    const lastRunning = db.prepare(
      "SELECT MAX(at_ms) AS t FROM events WHERE kind = 'transition' AND to_state = 'running'",
    );
    const waitAllRunning = async (what, ms = 300_000) => {
      const end = Date.now() + ms;
      while (runningCount.get().c < n) {
        if (Date.now() > end)
          throw new Error(`timed out waiting for ${what}:\n${stderr.slice(-2000)}`);
        await sleep(10);
      }
    };
    if (n > 0) {
      await waitAllRunning(`${n} running`);
      result.launchMs = lastRunning.get().t - t0;
    }
    while (port === null) await sleep(10);
    await sleep(settleS * 1000);
    result.rssKiB = rssKiB(daemon.pid);
    if (idle) {
      const before = cpuTicks(daemon.pid);
      await sleep(idleS * 1000);
      result.idleTicks = cpuTicks(daemon.pid) - before;
    }
    if (restart && n > 0) {
      const lastRow = db.prepare(
        `SELECT seq, pid, at_ms AS atMs FROM events
         WHERE name = ? AND kind = 'transition' AND to_state = 'running' ORDER BY seq DESC LIMIT 1`,
      );
      result.restartMs = [];
      for (let i = 0; i < Math.min(kills, n); i++) {
        // a different instance each time: its first restart, which is immediate (no crash loop)
        const name = `s:${Math.floor((i * n) / Math.min(kills, n))}`;
        const before = lastRow.get(name);
        await sleep(50);
        const tKill = Date.now();
        process.kill(before.pid, 'SIGKILL');
        for (let row = lastRow.get(name); ; row = lastRow.get(name)) {
          if (row.seq > before.seq) {
            result.restartMs.push(row.atMs - tKill);
            break;
          }
          if (Date.now() - tKill > 10_000) throw new Error(`${name} not restarted in 10 s`);
          await sleep(5);
        }
      }
    }
    if (startAll && n > 0) {
      const tmArgs = [process.execPath, tm, '-c', config, '--port', port];
      await timed([...tmArgs, 'stop', 'all'], dir);
      const t = Date.now();
      result.startAllMs = await timed([...tmArgs, 'start', 'all'], dir);
      result.startAllLogMs = lastRunning.get().t - t;
      await waitAllRunning('running again');
    }
  } finally {
    // the pids this daemon recorded, to check (and if need be kill) after it is gone
    let pids = [];
    try {
      pids =
        db
          ?.prepare('SELECT DISTINCT pid FROM processes')
          .all()
          .map((r) => r.pid) ?? [];
    } catch {
      // no register yet: nothing was started
    }
    db?.close();
    daemon.kill('SIGTERM');
    const timer = setTimeout(() => daemon.kill('SIGKILL'), 30_000);
    result.exit = await exited;
    clearTimeout(timer);
    result.left = pids.filter((pid) => {
      try {
        process.kill(pid, 0);
      } catch {
        return false;
      }
      // still there: not ours to leave running
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // gone between the two calls
      }
      return true;
    }).length;
    rmSync(dir, { recursive: true, force: true });
  }
  return result;
}

const collected = new Map(sizes.map((n) => [n, []]));
const floorRestart = [];
const floorNode = [];
for (let run = 0; run < runs; run++) {
  for (const n of sizes) {
    const r = await oneDaemon(n, {
      idle: n === 500 || (sizes.length === 1 && n > 0),
      restart: n === 100 || n === 1000,
      startAll: n === 500,
    });
    collected.get(n).push(r);
    const parts = [
      r.launchMs === undefined ? null : `launch→running ${r.launchMs} ms`,
      `rss ${(r.rssKiB / 1024).toFixed(1)} MiB`,
      r.idleTicks === undefined ? null : `idle ${r.idleTicks} ticks/${idleS} s`,
      r.restartMs === undefined ? null : `restart median ${median(r.restartMs)} ms`,
      r.startAllMs === undefined
        ? null
        : `tm start all ${r.startAllMs.toFixed(0)} ms (log ${r.startAllLogMs} ms)`,
      `exit ${r.exit.code ?? r.exit.signal}, left ${r.left}`,
    ];
    console.error(`run ${run + 1} n=${n}: ${parts.filter(Boolean).join(', ')}`);
  }
  floorRestart.push(...(await bareRestartMs()));
  for (let i = 0; i < 3; i++) floorNode.push(await timed([process.execPath, '-e', '0'], root));
}

const of = (n, key) => (collected.get(n) ?? []).map((r) => r[key]).filter((x) => x !== undefined);
console.log(
  `taskmasterd ${root}, node ${process.version}, ${runs} runs, ${new Date().toISOString()}`,
);
console.log('| figure | median (min–max) |');
console.log('| --- | --- |');
for (const n of sizes) {
  if (n > 0) console.log(`| launch → all ${n} running (ms) | ${summary(of(n, 'launchMs'))} |`);
}
for (const n of sizes) {
  console.log(
    `| RSS with ${n} running (MiB) | ${summary(
      of(n, 'rssKiB').map((k) => k / 1024),
      1,
    )} |`,
  );
}
const lo = sizes.filter((n) => n > 0).at(0);
const hi = sizes.at(-1);
if (lo !== undefined && hi > lo) {
  const slope = median(of(hi, 'rssKiB')) - median(of(lo, 'rssKiB'));
  console.log(
    `| RSS per added instance, ${lo} → ${hi} (KiB) | ${(slope / (hi - lo)).toFixed(1)} |`,
  );
}
const idle = sizes.flatMap((n) => of(n, 'idleTicks'));
if (idle.length > 0) console.log(`| idle CPU over ${idleS} s (clock ticks) | ${summary(idle)} |`);
for (const n of sizes) {
  const xs = of(n, 'restartMs').flat();
  if (xs.length > 0) console.log(`| restart after SIGKILL, ${n} running (ms) | ${summary(xs)} |`);
}
console.log(
  `| floor: bare spawn after a SIGKILL'd child's exit (ms) | ${summary(floorRestart, 2)} |`,
);
for (const n of sizes) {
  const xs = of(n, 'startAllMs');
  if (xs.length === 0) continue;
  console.log(`| \`tm start all\`, ${n} stopped (ms, wall) | ${summary(xs)} |`);
  console.log(`| … first start to last running row (ms) | ${summary(of(n, 'startAllLogMs'))} |`);
}
console.log(`| floor: \`node -e 0\` (ms) | ${summary(floorNode)} |`);
const left = [...collected.values()].flat().reduce((s, r) => s + r.left, 0);
const bad = [...collected.values()].flat().filter((r) => r.exit.code !== 0).length;
console.log(`| processes left after shutdown / daemons not exiting 0 | ${left} / ${bad} |`);
process.exit(left === 0 && bad === 0 ? 0 : 1);
