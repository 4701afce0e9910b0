import { ALERT_EVENTS, type AlertEvent } from '../config/types.js';
import type { StoredEvent } from '../domain/types.js';

/** One alert: its kind and the row it comes from. */
export type Alert = { kind: AlertEvent; event: StoredEvent };

/** Distinct spawn-error messages kept per instance; more are counted, not kept. */
const MAX_MESSAGES = 5;

/** What one instance's alerts of a digest come to: counts, not rows. */
export type InstanceAlerts = {
  name: string;
  counts: Map<AlertEvent, number>;
  firstAtMs: number;
  lastAtMs: number;
  /** `exit code 1`, `SIGKILL` … and how many times each was seen. */
  exits: Map<string, number>;
  spawnErrors: Map<string, number>;
  /** The longest crash-loop wait seen (ms), null if none. */
  longestWaitMs: number | null;
  /** The retry count of its last alert row. */
  retries: number;
  /** When it recovered, if a recovery is its last alert (a failure after it cancels it). */
  recoveredAtMs: number | null;
  /** The worst kind it has, for ordering and the subject. */
  worst: AlertEvent;
};

/** The alerts of one digest window, folded per instance as they come. */
export class AlertDigest {
  readonly instances = new Map<string, InstanceAlerts>();
  /** The seq range of its stored rows (a row the disk could not take has seq 0). */
  firstSeq: number | null = null;
  lastSeq: number | null = null;
  firstAtMs = Infinity;
  lastAtMs = -Infinity;

  /**
   * The alerts it counts, as its instances show them: a recovery once per instance, however
   * often it went down and up, so the header agrees with the lines below it.
   */
  get count(): number {
    let n = 0;
    for (const i of this.instances.values()) for (const c of i.counts.values()) n += c;
    return n;
  }

  add({ kind, event: e }: Alert): void {
    if (e.seq > 0) {
      this.firstSeq = Math.min(this.firstSeq ?? e.seq, e.seq);
      this.lastSeq = Math.max(this.lastSeq ?? e.seq, e.seq);
    }
    this.firstAtMs = Math.min(this.firstAtMs, e.atMs);
    this.lastAtMs = Math.max(this.lastAtMs, e.atMs);
    let i = this.instances.get(e.name);
    if (i === undefined) {
      i = {
        name: e.name,
        counts: new Map(),
        firstAtMs: e.atMs,
        lastAtMs: e.atMs,
        exits: new Map(),
        spawnErrors: new Map(),
        longestWaitMs: null,
        retries: e.retries,
        recoveredAtMs: null,
        worst: kind,
      };
      this.instances.set(e.name, i);
    }
    i.firstAtMs = Math.min(i.firstAtMs, e.atMs);
    i.lastAtMs = Math.max(i.lastAtMs, e.atMs);
    i.retries = e.retries;
    if (kind === 'recovered') {
      // said once: it is running again now, however often it went down and up before
      i.counts.set('recovered', 1);
      i.recoveredAtMs = e.atMs;
    } else {
      i.counts.set(kind, (i.counts.get(kind) ?? 0) + 1);
      i.counts.delete('recovered');
      i.recoveredAtMs = null;
    }
    i.worst = worstOf([...i.counts.keys()]) ?? kind;
    const exit = exitText(e);
    if (exit !== null) i.exits.set(exit, (i.exits.get(exit) ?? 0) + 1);
    if (e.cause === 'spawn-error' && e.message !== null) {
      const n = i.spawnErrors.get(e.message);
      if (n !== undefined || i.spawnErrors.size < MAX_MESSAGES) {
        i.spawnErrors.set(e.message, (n ?? 0) + 1);
      }
    }
    if (kind === 'crash-loop' && e.waitMs !== null) {
      i.longestWaitMs = Math.max(i.longestWaitMs ?? 0, e.waitMs);
    }
  }

  /** How many alerts of `kind` (for `recovered`: instances running again). */
  countOf(kind: AlertEvent): number {
    let n = 0;
    for (const i of this.instances.values()) n += i.counts.get(kind) ?? 0;
    return n;
  }

  /** The worst kind of the whole digest. */
  get worst(): AlertEvent {
    return worstOf([...this.instances.values()].map((i) => i.worst)) ?? 'recovered';
  }

  /** Instances, the worst first, then by name (web:2 before web:10). */
  sorted(): InstanceAlerts[] {
    return [...this.instances.values()].sort(
      (a, b) => severity(a.worst) - severity(b.worst) || compareNames(a.name, b.name),
    );
  }
}

export function severity(kind: AlertEvent): number {
  return ALERT_EVENTS.indexOf(kind);
}

function worstOf(kinds: readonly AlertEvent[]): AlertEvent | null {
  return kinds.reduce<AlertEvent | null>(
    (w, k) => (w === null || severity(k) < severity(w) ? k : w),
    null,
  );
}

export function compareNames(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

/** How the row's process ended, if the row records an exit. */
function exitText(e: StoredEvent): string | null {
  if (e.signal !== null) return e.signal;
  if (e.exitCode !== null) return `exit code ${e.exitCode}`;
  return null;
}
