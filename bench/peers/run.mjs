#!/usr/bin/env node
// bench:peers (issue 10): the same scenarios against taskmaster, Supervisor and PM2, one system
// at a time, in one run; prints one markdown table of median (min–max) per system and each
// taskmaster build's ratio to the best peer. Opt-in, never in CI:
//
//   npm run build && npm run bench:peers -- [--runs N] [--only taskmaster,supervisor,pm2]
//                                           [--taskmaster [LABEL=]DIR]… [--quick]
//
// Each scenario runs in a session of its own: a temp folder with the system's own config, socket
// and state (supervisord.conf with a unix socket, a PM2_HOME, a taskmaster config.yaml), a daemon
// started for it and stopped at its end. Every process of a session carries BENCH_PEERS_SESSION
// in its environment; whatever a session leaves is found by that mark and killed by pid, as is
// every pid recorded (procs.mjs), at the end of each session and when the bench exits for any
// reason. Nothing is killed by name.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensurePm2, ensureSupervisor } from './install.mjs';
import { parseOptions, USAGE } from './options.mjs';
import { killRecorded, pidsWithMarker, record } from './procs.mjs';
import * as scenarios from './scenarios.mjs';
import { runCli } from './systems/common.mjs';
import { pm2 } from './systems/pm2.mjs';
import { supervisor } from './systems/supervisor.mjs';
import { taskmaster } from './systems/taskmaster.mjs';
import { formatCell, formatTable, summarize } from './table.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const repoRoot = join(here, '../..');
const MARK = 'BENCH_PEERS_SESSION';

let opts;
try {
  opts = parseOptions(process.argv.slice(2), repoRoot);
} catch (err) {
  console.error(`bench:peers: ${err.message}\n\n${USAGE}`);
  process.exit(2);
}
if (opts.help) {
  console.log(USAGE);
  process.exit(0);
}

const runId = `${process.pid}-${randomBytes(4).toString('hex')}`;
const runRoot = mkdtempSync(join(tmpdir(), 'bench-peers-'));
// whatever way the bench ends, what it started goes with it
process.on('exit', () => {
  for (const pid of pidsWithMarker(MARK, `${runId}-`, true)) record(pid);
  killRecorded();
  rmSync(runRoot, { recursive: true, force: true });
});
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => process.exit(130));

const cacheDir = join(here, '.cache');
const systems = [];
for (const t of opts.taskmasters) systems.push(taskmaster(t));
if (opts.only.includes('supervisor')) {
  ensureSupervisor();
  systems.push(supervisor());
}
if (opts.only.includes('pm2')) {
  ensurePm2(cacheDir);
  mkdirSync(join(runRoot, 'pm2-default'));
  systems.push(pm2({ cacheDir, scratchHome: join(runRoot, 'pm2-default') }));
}
for (const s of systems) s.check();

const clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
const counts = {
  ...(opts.quick
    ? { small: 10, large: 20, relaunch: 3, stdoutBytes: 20 * 1024 * 1024, idleMs: 3000 }
    : { small: 100, large: 500, relaunch: 10, stdoutBytes: 500 * 1024 * 1024, idleMs: 30_000 }),
  msPerTick: 1000 / clkTck,
};
const fewer = Math.ceil(opts.runs / 2);
const fewest = Math.min(opts.runs, 2);
const plan = [
  { name: 'empty', scenario: scenarios.empty, runs: opts.runs },
  { name: 'small', scenario: scenarios.small, runs: opts.runs, idleRuns: fewest },
  { name: 'large', scenario: scenarios.large, runs: fewer },
  { name: 'grandchild', scenario: scenarios.grandchild, runs: fewer },
  { name: 'relaunch', scenario: scenarios.relaunch, runs: fewer },
  { name: 'stdout', scenario: scenarios.stdout, runs: fewest },
];

/** figure id → system label → samples */
const results = new Map();
const adder = (label) => (id, value) => {
  if (!results.has(id)) results.set(id, new Map());
  const bySystem = results.get(id);
  if (!bySystem.has(label)) bySystem.set(label, []);
  bySystem.get(label).push(value);
};
const errors = [];
let sessions = 0;

async function inSession(system, step, round) {
  const dir = mkdtempSync(join(runRoot, `${system.label}-${step.name}-`));
  const value = `${runId}-${++sessions}`;
  const marker = { value, alive: () => pidsWithMarker(MARK, value) };
  const env = { ...process.env, [MARK]: value };
  const t0 = performance.now();
  let s = null;
  try {
    s = await system.session({ dir, env, programs: step.scenario.programs(dir, counts) });
    await step.scenario.run(
      s,
      adder(system.label),
      counts,
      { idle: round < (step.idleRuns ?? 0) },
      marker,
      dir,
    );
  } catch (err) {
    const tail = s === null ? '' : `\n    daemon output, last lines:\n${indent(s.outputTail())}`;
    errors.push(`${system.label}, ${step.name} (round ${round + 1}): ${err.message}${tail}`);
  } finally {
    await s?.disconnect().catch(() => {});
    for (const pid of marker.alive()) record(pid);
    killRecorded();
    rmSync(dir, { recursive: true, force: true });
  }
  console.error(
    `bench:peers: round ${round + 1}/${opts.runs} ${system.label} ${step.name}: ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
}

const indent = (s) =>
  s
    .trim()
    .split('\n')
    .slice(-8)
    .map((l) => `      ${l}`)
    .join('\n');

/** What no supervisor can beat: a node start, a python start, and one spawn of `sleep`. */
async function floors(add) {
  for (let i = 0; i < 3; i += 1) {
    add('node', await runCli({ cmd: process.execPath, args: ['-e', '0'] }));
    if (opts.only.includes('supervisor'))
      add('python', await runCli({ cmd: 'python3', args: ['-c', '0'] }));
    const t0 = performance.now();
    const child = spawn('sleep', ['100000'], { stdio: 'ignore' });
    await once(child, 'spawn');
    add('spawn', performance.now() - t0);
    record(child.pid);
    child.kill('SIGKILL');
    await once(child, 'exit');
  }
}

const load0 = loadavg()[0];
const started = new Date();
for (let round = 0; round < opts.runs; round += 1) {
  await floors(adder('floor'));
  for (const system of systems) {
    for (const step of plan) if (round < step.runs) await inSession(system, step, round);
  }
}

const sh = (cmd, args) => execFileSync(cmd, args, { encoding: 'utf8' }).trim();
const floorOf = (id) => formatCell(summarize(results.get(id)?.get('floor') ?? []), 'ms');
const out = [
  `bench:peers, ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC to ${new Date().toISOString().slice(11, 16)}`,
  `machine: ${sh('nproc', [])} cores, Linux ${sh('uname', ['-r'])}, Node ${process.version}; load average ${load0.toFixed(1)} at the start, ${loadavg()[0].toFixed(1)} at the end`,
  ...systems.map((s) => `- ${s.label}: ${s.version()}`),
  `command: npm run bench:peers --${process.argv
    .slice(2)
    .map((a) => ` ${a}`)
    .join('')}`,
  '',
  formatTable({ figures: scenarios.figures(counts), systems, results }),
  '',
  `Floors in the same run: \`node -e 0\` ${floorOf('node')} ms` +
    (opts.only.includes('supervisor') ? `, \`python3 -c 0\` ${floorOf('python')} ms` : '') +
    `, one spawn of \`sleep\` (child_process.spawn until 'spawn') ${floorOf('spawn')} ms.`,
  `Runs: ${opts.runs} of the ${counts.small}-program session (cold start, RSS, status, stop/start one, SIGKILL of a child, stop all) and of the empty one;` +
    ` ${fewer} of the ${counts.large}-program one, the grandchild and the relaunch; ${fewest} of idle CPU and of the stdout one.`,
];
if (errors.length > 0) out.push('', 'Failed (n/a in the table):', ...errors.map((e) => `- ${e}`));
console.log(out.join('\n'));
process.exitCode = errors.length > 0 ? 1 : 0;
