#!/usr/bin/env node
// Soak (issue 7): 200 crash-looping instances beside 800 quiet ones for N minutes, against the
// built taskmasterd, and (issue 8) one chatty program writing 2 MiB/s to its stdout. Prints
// the daemon's CPU %, RSS at start and end, `status` latency percentiles, and the disk it uses: the
// largest size seen of the chatty output files and of the event log's busiest instance, against
// their bounds. Opt-in (not in CI):  npm run soak -- --minutes 10
//
// Options: --minutes N (10), --crashers N (200), --quiet N (800), --restartdelaymax S (30, the
// default; 0 = the tightest loop a user can ask for), --perinstance N (1000: event rows kept per
// instance), --maxbytes N (1048576) and --backups N (3) of the chatty output, --keep (keep the
// temp dir).
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RpcConnection } from '../dist/src/rpc/connection.js';
import { openEventDb } from '../dist/src/eventlog/db.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(args[i + 1]);
};
const minutes = opt('minutes', 10);
const crashers = opt('crashers', 200);
const quiet = opt('quiet', 800);
const restartDelayMax = opt('restartdelaymax', 30);
const perInstance = opt('perinstance', 1000);
const maxBytes = opt('maxbytes', 1024 * 1024);
const backups = opt('backups', 3);
const keep = args.includes('--keep');

const dir = mkdtempSync(join(tmpdir(), 'tm-soak-'));
const eventlog = join(dir, 'taskmaster.db');
writeFileSync(
  join(dir, 'config.yaml'),
  `programs:
  crash:
    cmd: sh -c 'echo crashing >&2; exit 1'
    numprocs: ${crashers}
    starttime: 0
    autorestart: always
    restartdelaymax: ${restartDelayMax}
    stderr: crash.stderr.log
  chatty:
    # about 2 MiB/s, the rate of the chatty program of issue 8 (20 MB every 10 s)
    cmd: sh -c 'while :; do head -c 65535 /dev/zero | tr "\\0" x; echo; sleep 0.03; done'
    stdout: { file: chatty.log, maxbytes: ${maxBytes}, backups: ${backups} }
  quiet:
    cmd: sleep 1000000
    numprocs: ${quiet}
    starttime: 1
daemon:
  eventretention: { perinstance: ${perInstance}, days: 90 }
server:
  port: 0
`,
);

const started = Date.now();
const daemon = spawn(
  process.execPath,
  [join(root, 'dist/src/bin/taskmasterd.js'), '-c', 'config.yaml'],
  {
    cwd: dir,
    stdio: ['ignore', 'ignore', 'pipe'],
  },
);
let stderr = '';
const port = await new Promise((resolve, reject) => {
  daemon.stderr.setEncoding('utf8');
  daemon.stderr.on('data', (s) => {
    stderr = (stderr + s).slice(-100_000);
    const m = /listening on 127\.0\.0\.1:(\d+)/.exec(stderr);
    if (m) resolve(Number(m[1]));
  });
  daemon.once('exit', (code) => reject(new Error(`taskmasterd exited with ${code}:\n${stderr}`)));
});
const token = readFileSync(join(dir, 'taskmaster.token'), 'utf8').trim();

const ticks = () => {
  const f = readFileSync(`/proc/${daemon.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(f[11]) + Number(f[12]); // utime + stime, in 1/100 s
};
const rssMiB = () =>
  Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${daemon.pid}/status`, 'utf8'))[1]) / 1024;

/** CPU % of one core: clock ticks (1/100 s) used over a wall-clock span in ms. */
const percent = (ticksUsed, ms) => (ticksUsed * 1000) / ms;

const size = (f) => {
  try {
    return statSync(f).size;
  } catch {
    return 0;
  }
};
/** The chatty program's files: the largest one, and how many there are (the bound: 1 + backups). */
const chattyFiles = () => {
  const files = readdirSync(dir).filter((f) => /^chatty\.log(\.\d+)?$/.test(f));
  return { count: files.length, largest: Math.max(0, ...files.map((f) => size(join(dir, f)))) };
};
/** Rows of the instance with the most history (a crash looper), against perinstance. */
const busiestRows = () => {
  const db = openEventDb(eventlog);
  try {
    return db
      .prepare('SELECT COUNT(*) AS n FROM events GROUP BY name ORDER BY n DESC LIMIT 1')
      .get().n;
  } finally {
    db.close();
  }
};
let chattyMax = { count: 0, largest: 0 };
let busiestMax = 0;
const sampleChatty = () => {
  const c = chattyFiles();
  chattyMax = {
    count: Math.max(chattyMax.count, c.count),
    largest: Math.max(chattyMax.largest, c.largest),
  };
};

/** One `status` as a new tm would ask it: connect, hello, status. */
async function statusMs() {
  const t0 = performance.now();
  const c = await RpcConnection.open({ host: '127.0.0.1', port }, token, 10_000);
  const rows = await c.call('status', { names: [] });
  c.close();
  return { ms: performance.now() - t0, rows };
}

// wait until every quiet instance is running: the start of the measured window
for (;;) {
  const { rows } = await statusMs();
  if (rows.filter((r) => r.program === 'quiet' && r.state === 'running').length === quiet) break;
}
const readyMs = Date.now() - started;
const rssStart = rssMiB();
const ticksStart = ticks();
const windowStart = Date.now();
const latencies = [];
let rssMax = rssStart;
const perMinute = [];
let minuteTicks = ticksStart;
let lastMinute = windowStart;
while (Date.now() - windowStart < minutes * 60_000) {
  const { ms } = await statusMs();
  latencies.push(ms);
  rssMax = Math.max(rssMax, rssMiB());
  sampleChatty();
  if (Date.now() - lastMinute >= 60_000) {
    const t = ticks();
    perMinute.push(percent(t - minuteTicks, Date.now() - lastMinute).toFixed(1));
    minuteTicks = t;
    lastMinute = Date.now();
    busiestMax = Math.max(busiestMax, busiestRows());
  }
  // one status a second, as a watching operator or a monitoring check would ask
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, 1000 - ms)));
}
const cpu = percent(ticks() - ticksStart, Date.now() - windowStart).toFixed(1);
const rssEnd = rssMiB();
sampleChatty();
busiestMax = Math.max(busiestMax, busiestRows());
const db = openEventDb(eventlog);
const rows = db.prepare('SELECT COUNT(*) AS n FROM events').get().n;
db.close();
const logBytes = size(eventlog) + size(`${eventlog}-wal`);

const stopT0 = Date.now();
daemon.kill('SIGTERM');
const exit = await new Promise((resolve) =>
  daemon.once('exit', (code, signal) => resolve({ code, signal })),
);
const stopMs = Date.now() - stopT0;
// nothing left: every process marked with this event log is gone
const left = readdirSync('/proc').filter((e) => {
  if (!/^\d+$/.test(e)) return false;
  try {
    return readFileSync(`/proc/${e}/environ`, 'utf8').includes(`TASKMASTER_EVENTLOG=${eventlog}`);
  } catch {
    return false;
  }
});

latencies.sort((a, b) => a - b);
const pct = (p) =>
  latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))].toFixed(1);
const mb = (b) => (b / 1024 / 1024).toFixed(1);
console.log(
  `soak: ${crashers} crash-looping (restartdelaymax ${restartDelayMax}) + ${quiet} quiet instances, ${minutes} min, node ${process.version}`,
);
console.log(`  all ${quiet} quiet running after      ${readyMs} ms`);
console.log(
  `  daemon CPU over the window        ${cpu} % of one core (per minute: ${perMinute.join(', ')})`,
);
console.log(
  `  daemon RSS                        start ${rssStart.toFixed(1)} MiB, end ${rssEnd.toFixed(1)} MiB, max ${rssMax.toFixed(1)} MiB`,
);
console.log(`  event log                         ${rows} rows, ${mb(logBytes)} MiB (db + wal)`);
console.log(
  `  busiest instance's history        max ${busiestMax} rows seen (perinstance ${perInstance}; pruning runs behind by up to a turn)`,
);
console.log(
  `  crash.stderr.log                  ${mb(size(join(dir, 'crash.stderr.log')))} MiB (default bound: 50 MiB + 10 backups)`,
);
console.log(
  `  chatty.log and its backups        max ${chattyMax.count} files (bound ${1 + backups}), largest ${mb(chattyMax.largest)} MiB (maxbytes ${mb(maxBytes)} MiB), daemon log ${mb(size(join(dir, 'taskmaster.log')))} MiB`,
);
console.log(
  `  status latency (${latencies.length} calls)        p50 ${pct(50)} ms, p90 ${pct(90)} ms, p99 ${pct(99)} ms, max ${latencies.at(-1).toFixed(1)} ms`,
);
console.log(
  `  SIGTERM to exit                   ${stopMs} ms, exit ${JSON.stringify(exit)}, processes left: ${left.length}`,
);
if (!keep) rmSync(dir, { recursive: true, force: true });
else console.log(`  kept ${dir}`);
process.exit(exit.code === 0 && left.length === 0 ? 0 : 1);
