#!/usr/bin/env node
// tm latency (issue 10): the built `tm` as a user runs it, against a real taskmasterd supervising
// 100, then 1000 programs of `sleep` (one program each, so the config file grows with them), in
// a temp dir. Each command is spawned RUNS times, in turn with `node -e 0` (the floor: what any
// Node program costs before its first line), and its wall time from spawn to exit is taken.
// Prints median (min–max) in ms of both, and the median of the pairwise differences. With
// --baseline, another build's tm (tm.cjs, or tm.js before it) runs in turn with this one, against
// this build's daemon.
//
//   npm run bench:cli                 (builds first)
//   node bench/cli.mjs --runs 50 --programs 100,1000 --keep
//   node bench/cli.mjs --baseline /tmp/old/dist/src/bin/tm.js
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RpcConnection } from '../dist/src/rpc/connection.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const TM = join(root, 'dist/src/bin/tm.cjs');
const TASKMASTERD = join(root, 'dist/src/bin/taskmasterd.js');
const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? fallback : args[i + 1];
};
const runs = Number(opt('runs', 30));
const sizes = opt('programs', '100,1000').split(',').map(Number);
const keep = args.includes('--keep');
/** Another build's tm (an older commit's, say), measured in turn with this one. */
const baseline = opt('baseline', null);
const asBaseline = (argv) => argv.map((w) => (w === TM ? baseline : w));

/** Wall ms of one run of `argv`, from spawn to exit; its output is read and dropped. */
function timeRun(argv, cwd) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(argv[0], argv.slice(1), { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stdout.resume();
    child.stderr.setEncoding('utf8').on('data', (s) => (stderr += s));
    child.once('error', reject);
    child.once('close', (code) => {
      const ms = performance.now() - t0;
      if (code !== 0) reject(new Error(`${argv.join(' ')} exited with ${code}: ${stderr}`));
      else resolve(ms);
    });
  });
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const f = (ms) => ms.toFixed(1);
const spread = (xs) => `${f(median(xs))} (${f(Math.min(...xs))}–${f(Math.max(...xs))})`;

/**
 * Each of `commands` (label, argv) `runs` times, each run followed by one of the floor, after
 * one warm-up of each; with --baseline, the baseline tm's runs of the same commands follow each
 * round. Commands given together run in turn, so a pair that undoes itself (stop, start) leaves
 * things as it found them for the next.
 */
async function measure(commands, cwd) {
  const floor = [process.execPath, '-e', '0'];
  const rows = commands.map(([label, argv]) => ({ label, argv, tm: [], floor: [], base: [] }));
  for (const r of rows) await timeRun(r.argv, cwd);
  if (baseline !== null) for (const r of rows) await timeRun(asBaseline(r.argv), cwd);
  await timeRun(floor, cwd);
  for (let i = 0; i < runs; i++) {
    for (const r of rows) {
      r.tm.push(await timeRun(r.argv, cwd));
      r.floor.push(await timeRun(floor, cwd));
    }
    if (baseline !== null)
      for (const r of rows) r.base.push(await timeRun(asBaseline(r.argv), cwd));
  }
  for (const r of rows) {
    const over = (xs) => f(median(xs.map((x, i) => x - r.floor[i])));
    const cells = [r.label.padEnd(34), spread(r.tm).padEnd(24), spread(r.floor).padEnd(24)];
    if (baseline !== null)
      cells.push(spread(r.base).padEnd(24), over(r.tm).padEnd(10), over(r.base));
    else cells.push(over(r.tm));
    console.log(cells.join(' '));
  }
}

async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function withDaemon(programs, body) {
  const dir = mkdtempSync(join(tmpdir(), 'tm-bench-cli-'));
  const port = await freePort();
  const entries = Array.from(
    { length: programs },
    (_, i) => `  p${i}:\n    cmd: sleep 100000\n    starttime: 0\n    stoptime: 1\n`,
  ).join('');
  writeFileSync(join(dir, 'config.yaml'), `programs:\n${entries}server:\n  port: ${port}\n`);
  const daemon = spawn(process.execPath, [TASKMASTERD, '-c', 'config.yaml'], {
    cwd: dir,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  try {
    await new Promise((resolve, reject) => {
      daemon.stderr.setEncoding('utf8');
      daemon.stderr.on('data', (s) => {
        stderr = (stderr + s).slice(-100_000);
        if (/INFO listening on /.test(stderr)) resolve();
      });
      daemon.once('exit', (code) =>
        reject(new Error(`taskmasterd exited with ${code}:\n${stderr}`)),
      );
    });
    const token = readFileSync(join(dir, 'taskmaster.token'), 'utf8').trim();
    // measured only once every instance runs: the daemon is then as a user finds it
    for (;;) {
      const c = await RpcConnection.open({ host: '127.0.0.1', port }, token);
      const rows = await c.call('status', { names: [] });
      c.close();
      if (rows.length === programs && rows.every((r) => r.state === 'running')) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await body(dir);
  } finally {
    const exited = new Promise((resolve) => daemon.once('exit', resolve));
    if (daemon.exitCode === null) daemon.kill('SIGTERM');
    await exited;
    if (keep) console.log(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

console.log(`tm latency, node ${process.version}, ${runs} runs each, wall ms from spawn to exit`);
const head = [
  'command'.padEnd(34),
  'tm: median (min–max)'.padEnd(24),
  'floor: node -e 0'.padEnd(24),
];
if (baseline !== null) head.push('baseline tm'.padEnd(24), 'tm − floor', 'baseline − floor');
else head.push('tm − floor (median of pairs)');
if (baseline !== null) console.log(`baseline: ${baseline}`);
console.log(head.join(' '));
const tm = (...words) => [process.execPath, TM, ...words];
await measure([['tm --version', tm('--version')]], root);
for (const programs of sizes) {
  await withDaemon(programs, async (dir) => {
    await measure([[`tm status (${programs} programs)`, tm('-c', 'config.yaml', 'status')]], dir);
    await measure(
      [
        [`tm stop --no-wait p0 (${programs})`, tm('-c', 'config.yaml', 'stop', '--no-wait', 'p0')],
        [
          `tm start --no-wait p0 (${programs})`,
          tm('-c', 'config.yaml', 'start', '--no-wait', 'p0'),
        ],
      ],
      dir,
    );
  });
}
