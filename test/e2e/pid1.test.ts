import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
} from 'node:fs';
import { describe, expect, it, type TestContext } from 'vitest';
import {
  procStatField,
  program,
  programs,
  Sandbox,
  waitUntil,
  type DaemonProcess,
} from '../helpers/daemon-process.js';
import { fixture } from '../helpers/test-daemon.js';

/**
 * Issue 7: taskmasterd as the PID 1 of a PID namespace, as the entrypoint of a container is.
 * Orphans are reparented to PID 1, which must reap them; run alone it left 146 zombies after a
 * minute. The namespace is made with `unshare --pid --fork --mount-proc` (CI runs as root) and
 * looked at from outside, through the global /proc.
 */

const UNSHARE = ['unshare', '--pid', '--fork', '--mount-proc'];
const PROGRAMS = ['a', 'b', 'c'];
const SHUTDOWN_ROWS = ['running -> stopping (shutdown)', 'stopping -> stopped (shutdown)'];

/** Why this kernel (or container) refuses a PID namespace; null when it allows one. */
function unshareRefusal(): string | null {
  const probe = spawnSync(UNSHARE[0]!, [...UNSHARE.slice(1), 'true'], { encoding: 'utf8' });
  if (probe.error !== undefined) return probe.error.message;
  return probe.status === 0 ? null : probe.stderr.trim();
}

function skipWithoutNamespaces(ctx: TestContext): void {
  const refusal = unshareRefusal();
  if (refusal !== null) ctx.skip(`the kernel refuses ${UNSHARE.join(' ')}: ${refusal}`);
}

/** Three programs that each leave an orphan every 20 ms; each orphan writes a line as it exits. */
function orphanConfig(): string {
  return programs(
    ...PROGRAMS.map((name) =>
      program(name, `cmd: "${fixture('leave-orphans.sh')} orphans.${name}"`, 'workingdir: .'),
    ),
  );
}

function orphansExited(sb: Sandbox): number {
  let lines = 0;
  for (const name of PROGRAMS) {
    const file = sb.path(`orphans.${name}`);
    if (existsSync(file)) lines += readFileSync(file, 'utf8').split('\n').length - 1;
  }
  return lines;
}

/** The pid (seen from outside) of the namespace's PID 1: the child `unshare --fork` made. */
async function namespaceInit(d: DaemonProcess): Promise<number> {
  const children = () => readFileSync(`/proc/${d.pid}/task/${d.pid}/children`, 'utf8').trim();
  await waitUntil(() => children() !== '', `unshare ${d.pid} to fork the namespace's PID 1`);
  return Number(children());
}

function readLink(path: string): string | null {
  try {
    return readlinkSync(path);
  } catch {
    // gone, or a zombie: its namespaces are released when it exits
    return null;
  }
}

/** Live processes of the namespace `ns` (as /proc/PID/ns/pid reads), by global pid → its pid inside. */
function members(ns: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || readLink(`/proc/${entry}/ns/pid`) !== ns) continue;
    let status: string;
    try {
      status = readFileSync(`/proc/${entry}/status`, 'utf8');
    } catch {
      // exited while we looked
      continue;
    }
    const nspid = /^NSpid:\s+(.*)$/m.exec(status)?.[1]?.split(/\s+/).at(-1);
    if (nspid !== undefined) out.set(Number(entry), Number(nspid));
  }
  return out;
}

/** Zombies of the namespace: a zombie no longer shows its namespace, so its parent's is read. */
function zombies(ns: string): number[] {
  const parents = new Set(members(ns).keys());
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .map(Number)
    .filter((pid) => procStatField(pid, 3) === 'Z')
    .filter((pid) => parents.has(Number(procStatField(pid, 4))));
}

function comm(pid: number): string {
  return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
}

describe('taskmasterd as PID 1 of a PID namespace', () => {
  it('runs under tini, so the orphans of its programs are reaped; SIGTERM still stops all', async (ctx) => {
    skipWithoutNamespaces(ctx);
    const tini = spawnSync('tini', ['--version']);
    if (tini.error !== undefined) throw new Error('tini is not installed (.ci/run installs it)');
    const sb = Sandbox.create(orphanConfig());
    const d = sb.spawn(['-c', 'config.yaml'], { wrapper: UNSHARE });
    for (const name of PROGRAMS) await d.waitRunning(`${name}:0`);
    const init = await namespaceInit(d);
    const ns = readlinkSync(`/proc/${init}/ns/pid`);
    // PID 1 passes signals on; tini, its child, is the subreaper; the daemon is tini's child
    const [under] = readFileSync(`/proc/${init}/task/${init}/children`, 'utf8').trim().split(' ');
    expect(comm(Number(under))).toBe('tini');

    await waitUntil(() => orphansExited(sb) >= 150, '150 orphans to have exited', 15_000);
    // reaped as they exit: at most the few that exited while /proc was read (151 without tini)
    expect(zombies(ns).length).toBeLessThanOrEqual(10);

    // every pid of the event log, seen from outside, grandchildren included, before the stop
    const inside = members(ns);
    const logged = sb.loggedPids();
    const outside = [...inside].filter(([, nspid]) => logged.includes(nspid)).map(([pid]) => pid);
    expect(outside).toHaveLength(PROGRAMS.length);

    process.kill(init, 'SIGTERM');
    expect(await d.waitExit()).toEqual({ code: 0, signal: null });
    expect(d.lines.filter((l) => / INFO (SIGTERM received|shutdown complete)$/.test(l))).toEqual([
      expect.stringMatching(/ INFO SIGTERM received$/),
      expect.stringMatching(/ INFO shutdown complete$/),
    ]);
    for (const name of PROGRAMS) expect(sb.history(`${name}:0`).slice(-2)).toEqual(SHUTDOWN_ROWS);
    expect(outside.filter((pid) => existsSync(`/proc/${pid}`))).toEqual([]);
    expect([...members(ns).keys()]).toEqual([]);
    expect(sb.processes()).toEqual([]);
  });

  it('without tini it says so, in its log and on stderr, and runs anyway', async (ctx) => {
    skipWithoutNamespaces(ctx);
    const sb = Sandbox.create(orphanConfig());
    // a PATH with only what the fixture needs, so that tini is not found
    const bin = sb.path('bin');
    mkdirSync(bin);
    for (const tool of ['sh', 'sleep']) symlinkSync(`/bin/${tool}`, `${bin}/${tool}`);
    const unshare = spawnSync('sh', ['-c', 'command -v unshare'], { encoding: 'utf8' });
    const wrapper = [unshare.stdout.trim(), ...UNSHARE.slice(1)];
    const d = sb.spawn(['-c', 'config.yaml'], { wrapper, env: { PATH: bin } });
    const warning =
      'running as PID 1 without tini: the orphaned processes of the programs will not be ' +
      'reaped, and their zombies will pile up; install tini (apt-get install tini, apk add ' +
      'tini), which taskmasterd then runs itself under, or start the container with an init ' +
      '(docker run --init)';
    await d.waitLine(new RegExp(` WARN ${warning.replace(/[()]/g, '\\$&')}$`));
    expect(readFileSync(sb.path('taskmaster.log'), 'utf8')).toContain(` WARN ${warning}\n`);
    for (const name of PROGRAMS) await d.waitRunning(`${name}:0`);
    const init = await namespaceInit(d);
    const ns = readlinkSync(`/proc/${init}/ns/pid`);
    expect(comm(init)).toBe('node');

    // what tini is there for: here the orphans stay zombies (and this counter sees them)
    await waitUntil(() => orphansExited(sb) >= 30, '30 orphans to have exited', 15_000);
    expect(zombies(ns).length).toBeGreaterThanOrEqual(25);

    process.kill(init, 'SIGTERM');
    expect(await d.waitExit()).toEqual({ code: 0, signal: null });
    for (const name of PROGRAMS) expect(sb.history(`${name}:0`).slice(-2)).toEqual(SHUTDOWN_ROWS);
    expect([...members(ns).keys()]).toEqual([]);
  });
});
