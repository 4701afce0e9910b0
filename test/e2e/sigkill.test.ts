import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { InstanceStatus } from '../../src/rpc/protocol.js';
import { RpcConnection } from '../../src/rpc/connection.js';
import { REST_STATES } from '../../src/domain/types.js';
import {
  program,
  programs,
  Sandbox,
  withDeadline,
  type DaemonProcess,
} from '../helpers/daemon-process.js';
import { startDaemon } from '../helpers/tm-process.js';

/**
 * Issue 7.1: a SIGKILL of the daemon at any moment never leaves a duplicate. 100 instances; in
 * each of 20 rounds the daemon is SIGKILLed at a random point of a start-up, a stop, a reload or a
 * restart, then launched again; after each relaunch every live instance has exactly one process
 * (the one the daemon reports), and at the end a shutdown leaves none. Before the fix, a kill
 * during start-up left 7–99 duplicates: the register row was written only on Node's 'spawn'
 * event, after every fork of that turn.
 */

const PROGRAMS = ['a', 'b', 'c', 'd'];
const ROUNDS = 20;

function config(generation: number): string {
  // a reload flips the cmd of a and b: a restart key, so their instances are restarted
  const cmd = (p: string) => `cmd: sleep ${p === 'a' || p === 'b' ? 1000 + generation : 1000}`;
  return programs(
    ...PROGRAMS.map((p) => program(p, 'numprocs: 25', cmd(p), 'starttime: 0.3', 'stoptime: 2')),
  );
}

/** A small seeded PRNG (mulberry32), so a failing run can be replayed with its seed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function connect(sandbox: Sandbox, port: number): Promise<RpcConnection> {
  const token = readFileSync(sandbox.path('taskmaster.token'), 'utf8').trim();
  return RpcConnection.open({ host: '127.0.0.1', port }, token, 5000);
}

async function waitSettled(tm: RpcConnection, ms = 20_000): Promise<InstanceStatus[]> {
  const deadline = Date.now() + ms;
  for (;;) {
    const rows = await tm.call('status', { names: [] });
    const isSettled = rows.every((r) => r.state === 'running' || REST_STATES.includes(r.state));
    if (rows.length === 100 && isSettled) return rows;
    if (Date.now() > deadline) {
      const busy = rows.filter((r) => r.state !== 'running' && !REST_STATES.includes(r.state));
      throw new Error(
        `not settled after ${ms} ms: ${busy.map((r) => `${r.name} ${r.state}`).join(', ')}`,
      );
    }
    await tm.call('names', {}); // a round trip, not a sleep: the daemon answers when it can
  }
}

/** Exactly one process for each running instance, the one the daemon reports; none for the rest. */
function checkOneEach(sandbox: Sandbox, rows: readonly InstanceStatus[], round: string): void {
  const problems: string[] = [];
  for (const r of rows) {
    const pids = sandbox.processesOf(r.name);
    const want = r.state === 'running' ? [r.pid] : [];
    if (JSON.stringify(pids.sort()) !== JSON.stringify(want)) {
      problems.push(`${r.name} (${r.state}, pid ${r.pid}): processes ${pids.join(', ') || 'none'}`);
    }
  }
  expect(problems, `after ${round}`).toEqual([]);
}

async function kill(d: DaemonProcess): Promise<void> {
  d.signal('SIGKILL');
  await d.waitExit();
}

describe('SIGKILL of the daemon at random points (issue 7.1)', () => {
  it(`${ROUNDS} rounds of start-up, stop, reload and restart of 100 instances: never a duplicate`, async () => {
    const seed = Number(process.env.TM_TEST_SEED ?? Date.now() % 1_000_000);
    const rand = random(seed);
    const sandbox = Sandbox.create(config(0));
    let generation = 0;
    const done: string[] = [];
    let { daemon, port } = await startDaemon(sandbox);
    for (let round = 0; round < ROUNDS; round++) {
      const scenario = (['start-up', 'stop', 'reload', 'restart'] as const)[
        Math.floor(rand() * 4)
      ]!;
      const delayMs = Math.floor(rand() * 400);
      const label = `round ${round} (${scenario}, kill after ${delayMs} ms; seed ${seed})`;
      if (scenario !== 'start-up') {
        const tm = await connect(sandbox, port);
        await waitSettled(tm);
        await tm.call('start', { names: ['all'], wait: true });
        if (scenario === 'stop') await tm.call('stop', { names: ['all'], wait: false });
        if (scenario === 'restart') await tm.call('restart', { names: ['all'], wait: false });
        if (scenario === 'reload') {
          sandbox.writeConfig(config(++generation));
          daemon.signal('SIGHUP');
        }
        tm.close();
      }
      await new Promise((resolve) => setTimeout(resolve, delayMs)); // the random point of the kill
      await kill(daemon);
      done.push(label);
      ({ daemon, port } = await startDaemon(sandbox));
      const tm = await connect(sandbox, port);
      const rows = await waitSettled(tm);
      checkOneEach(sandbox, rows, label);
      tm.close();
    }
    // history continuous: an instance's rows chain, broken only where a new daemon run begins
    const runs = sandbox
      .revisions()
      .filter((r) => r.summary.startsWith('start:'))
      .map((r) => r.revision);
    const runOf = (revision: number) => runs.filter((r) => r <= revision).length;
    for (const p of PROGRAMS) {
      for (let i = 0; i < 25; i++) {
        const rows = sandbox.events({ names: [`${p}:${i}`] });
        for (let k = 1; k < rows.length; k++) {
          const [prev, row] = [rows[k - 1]!, rows[k]!];
          if (row.from === prev.to) continue;
          expect(
            {
              name: row.name,
              seq: row.seq,
              from: row.from,
              newRun: runOf(row.revision) > runOf(prev.revision),
            },
            `history of ${row.name} broken at seq ${row.seq} (seed ${seed})`,
          ).toEqual({ name: row.name, seq: row.seq, from: 'stopped', newRun: true });
        }
      }
    }
    const tm = await connect(sandbox, port);
    await tm.call('shutdown', {});
    await withDeadline(tm.closed, 30_000, () => 'the shutdown to finish');
    await daemon.waitExit(30_000);
    expect(sandbox.processes().map((p) => p.pid)).toEqual([]);
    expect(done).toHaveLength(ROUNDS);
  }, 240_000);
});
