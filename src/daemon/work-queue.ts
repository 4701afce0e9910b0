/**
 * Supervision work (a fork, the handling of an exit) done a slice at a time. Jobs run in the
 * order they came until `budgetMs` of the turn is spent; the rest waits for the next turn of the
 * event loop (setImmediate), after the I/O and timers that came meanwhile. So RPC, timers and
 * signals are served however many instances crash at once: a crash storm costs throughput, never
 * the daemon's ears. A job never throws out of here: `onError` hears it and the next job runs.
 */
export class WorkQueue {
  private jobs: (() => void)[] = [];
  private head = 0;
  private isScheduled = false;

  constructor(
    private readonly onError: (error: unknown) => void,
    private readonly budgetMs = 8,
  ) {}

  push(job: () => void): void {
    this.jobs.push(job);
    if (this.isScheduled) return;
    this.isScheduled = true;
    setImmediate(() => this.run());
  }

  /** Jobs waiting for their turn. */
  get length(): number {
    return this.jobs.length - this.head;
  }

  private run(): void {
    this.isScheduled = false;
    const end = performance.now() + this.budgetMs;
    while (this.head < this.jobs.length) {
      const job = this.jobs[this.head++]!;
      try {
        job();
      } catch (error) {
        this.onError(error);
      }
      if (performance.now() >= end) break;
    }
    // drop what has run, so that a long storm does not keep every job it ever ran
    this.jobs = this.jobs.slice(this.head);
    this.head = 0;
    if (this.jobs.length > 0 && !this.isScheduled) {
      this.isScheduled = true;
      setImmediate(() => this.run());
    }
  }
}
