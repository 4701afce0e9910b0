// What the bench knows of processes, from /proc: identity (pid + start time, so that a pid reused
// by the system is never signalled), RSS, CPU ticks, parent, command line and environment. Every
// process the bench starts or sees started for it is recorded here, and `killRecorded` ends each
// one that is still the same process. Nothing is ever looked up or killed by name.
import { readdirSync, readFileSync } from 'node:fs';

/** Fields of /proc/PID/stat after the command (which may hold spaces and parentheses). */
function statFields(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return s.slice(s.lastIndexOf(') ') + 2).split(' ');
  } catch {
    return null; // gone
  }
}

/** Start time in clock ticks since boot: with the pid, what identifies a process. */
export function startTime(pid) {
  const f = statFields(pid);
  return f === null ? null : Number(f[19]);
}

export function parentPid(pid) {
  const f = statFields(pid);
  return f === null ? null : Number(f[1]);
}

/** Alive and not a zombie: an exited child not yet reaped by its parent counts as gone. */
export function isAlive(pid, since = null) {
  const f = statFields(pid);
  if (f === null || f[0] === 'Z' || f[0] === 'X') return false;
  return since === null || Number(f[19]) === since;
}

/** utime + stime, in clock ticks (1/100 s on Linux). */
export function cpuTicks(pid) {
  const f = statFields(pid);
  if (f === null) throw new Error(`process ${pid} is gone: no CPU time to read`);
  return Number(f[11]) + Number(f[12]);
}

export function rssMiB(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (m === null) throw new Error(`process ${pid} has no VmRSS (a zombie?)`);
  return Number(m[1]) / 1024;
}

export function cmdline(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(0, -1);
  } catch {
    return null;
  }
}

export function listPids() {
  return readdirSync('/proc')
    .filter((e) => e.charCodeAt(0) >= 48 && e.charCodeAt(0) <= 57)
    .map(Number);
}

/**
 * Every live process whose environment holds `NAME=VALUE` (VALUE a prefix when `prefix`). The
 * daemons are started with a marker of their session in their environment, and pass it on to
 * their children: this is how the bench finds what a session left, without a name.
 */
export function pidsWithMarker(name, value, prefix = false) {
  const want = `${name}=${value}`;
  const out = [];
  for (const pid of listPids()) {
    if (pid === process.pid) continue;
    let env;
    try {
      env = readFileSync(`/proc/${pid}/environ`, 'utf8');
    } catch {
      continue; // gone, or not ours to read
    }
    const hit = env.split('\0').some((kv) => (prefix ? kv.startsWith(want) : kv === want));
    if (hit && isAlive(pid)) out.push(pid);
  }
  return out;
}

/** pid → start time of every process the bench started or was shown. */
const recorded = new Map();

export function record(pid) {
  if (!Number.isInteger(pid) || pid <= 0 || recorded.has(pid)) return;
  const t = startTime(pid);
  if (t !== null) recorded.set(pid, t);
}

/** Sends SIGKILL to each recorded process that is still the one recorded; forgets them all. */
export function killRecorded() {
  let killed = 0;
  for (const [pid, since] of recorded) {
    if (isAlive(pid, since)) {
      try {
        process.kill(pid, 'SIGKILL');
        killed += 1;
      } catch {
        // it exited between the check and the signal: nothing left to do
      }
    }
  }
  recorded.clear();
  return killed;
}
