import type { EventRetention } from '../config/types.js';
import type { Pruner } from '../eventlog/retention.js';
import type { WriteGuard } from './write-guard.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/**
 * Keeps the event log within `eventretention`, off the hot path: a row counted past an instance's
 * bound (plus a tenth, so that pruning runs once per many rows, not after each) queues that
 * instance, and one bounded batch is deleted per turn of the event loop. Rows older than `days`
 * go at start and then once an hour. Every delete goes through the write guard.
 */
export class RetentionKeeper {
  private readonly counts: Map<string, number>;
  private readonly due = new Set<string>();
  private isScheduled = false;
  private isStopped = false;
  private hourly: NodeJS.Timeout | null = null;

  constructor(
    private readonly pruner: Pruner,
    private readonly retention: () => EventRetention,
    private readonly guard: WriteGuard,
  ) {
    this.counts = guard.run(() => pruner.counts()) ?? new Map<string, number>();
    for (const [name, n] of this.counts) if (n > this.limit()) this.due.add(name);
  }

  /** Prunes what is due now, then by age every hour. */
  start(): void {
    this.schedule();
    this.pruneByAge();
    this.hourly = setInterval(() => this.pruneByAge(), HOUR_MS);
    // retention is no reason to keep the process alive
    this.hourly.unref();
  }

  stop(): void {
    this.isStopped = true;
    if (this.hourly !== null) clearInterval(this.hourly);
  }

  /** A row of instance `name` has been stored. */
  stored(name: string): void {
    const n = (this.counts.get(name) ?? 0) + 1;
    this.counts.set(name, n);
    if (n > this.limit()) {
      this.due.add(name);
      this.schedule();
    }
  }

  /** Rows counted for an instance (for tests and the soak). */
  rowsOf(name: string): number {
    return this.counts.get(name) ?? 0;
  }

  private limit(): number {
    const keep = this.retention().perInstance;
    return keep + Math.max(50, Math.floor(keep / 10));
  }

  private schedule(): void {
    if (this.isScheduled || this.isStopped || this.due.size === 0) return;
    this.isScheduled = true;
    setImmediate(() => this.pruneOne());
  }

  private pruneOne(): void {
    this.isScheduled = false;
    if (this.isStopped) return;
    const name = this.due.values().next().value;
    if (name === undefined) return;
    const keep = this.retention().perInstance;
    const deleted = this.guard.run(() => this.pruner.pruneInstance(name, keep)) ?? 0;
    const left = Math.max(0, (this.counts.get(name) ?? 0) - deleted);
    this.counts.set(name, left);
    // done when at the bound, or when nothing more could be deleted (a failing disk)
    if (left <= keep || deleted === 0) this.due.delete(name);
    this.schedule();
  }

  private pruneByAge(): void {
    const cutoff = Date.now() - this.retention().days * DAY_MS;
    const step = () => {
      if (this.isStopped) return;
      const deleted = this.guard.run(() => this.pruner.pruneOlderThan(cutoff)) ?? 0;
      const forgotten =
        this.guard.run(() => this.pruner.pruneExitedProcesses(Date.now() - DAY_MS)) ?? 0;
      if (deleted > 0) {
        // the counts of the instances whose old rows went are read back from the summary
        const counts = this.guard.run(() => this.pruner.counts());
        if (counts !== undefined) for (const [k, v] of counts) this.counts.set(k, v);
      }
      if (deleted > 0 || forgotten > 0) setImmediate(step);
    };
    setImmediate(step);
  }
}
