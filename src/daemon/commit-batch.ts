import type { EventDb } from '../eventlog/db.js';
import type { WriteGuard } from './write-guard.js';

/**
 * The writes of one synchronous burst committed together, and everything that acts on them or
 * is told of them held until that commit: a boot's or a `start all`'s hundreds of `starting`
 * rows are one transaction instead of hundreds; an exit, its row and the restart it decides are
 * one; a spawn's register row and its `running` row are one. Each commit is the WAL pages of its
 * rows and, every 100 pages, a checkpoint with two fsyncs: fewer, fuller commits cost a fraction.
 *
 * The rule stays: a transition is on record before anything acts on it. Inside a burst a row is
 * written but not yet committed, so every act (a signal, a fork, a watch) and every publication
 * (the event stream, the journal) goes through `afterCommit`, which holds it until the commit and
 * then runs them in the order they came. Outside a burst `afterCommit` runs at once, after the
 * row's own commit, as before.
 *
 * A commit that fails (a full disk) loses the burst's rows: the guard says so and counts them,
 * `isLost` tells the publications, and the acts still run — supervision goes on when the history
 * cannot be written, as for a single row.
 */
export class CommitBatch {
  private isOpen = false;
  private rows = 0;
  private held: (() => void)[] = [];
  private lost = false;
  private readonly begin: () => true;
  private readonly commit: () => true;
  private readonly rollback: () => true;

  constructor(
    private readonly db: EventDb,
    private readonly guard: WriteGuard,
    /** Hears a held act that threw (a bug): the others still run. */
    private readonly onError: (error: unknown) => void,
  ) {
    const begin = db.prepare('BEGIN');
    const commit = db.prepare('COMMIT');
    const rollback = db.prepare('ROLLBACK');
    // each says true once done: the guard answers undefined for a write that failed
    this.begin = () => (begin.run(), true);
    this.commit = () => (commit.run(), true);
    this.rollback = () => (rollback.run(), true);
  }

  /** Runs `burst` with its writes in one transaction; a burst inside a burst joins it. */
  run<T>(burst: () => T): T {
    if (this.isOpen) return burst();
    this.isOpen = true;
    this.rows = 0;
    const hasBegun = this.guard.run(this.begin) !== undefined;
    try {
      return burst();
    } finally {
      this.isOpen = false;
      this.lost = hasBegun && !this.finish();
      const held = this.held;
      this.held = [];
      for (const act of held) {
        try {
          act();
        } catch (error) {
          this.onError(error);
        }
      }
      this.lost = false;
    }
  }

  /** A write of the burst (or alone, outside one): guarded, never thrown. */
  write<T>(write: () => T): T | undefined {
    const result = this.guard.run(write);
    if (this.isOpen && result !== undefined) this.rows++;
    return result;
  }

  /** Runs `act` now, or once the open burst's writes are committed. */
  afterCommit(act: () => void): void {
    if (this.isOpen) this.held.push(act);
    else act();
  }

  /** While held acts run: the burst's commit failed, so its rows are not on record. */
  get isLost(): boolean {
    return this.lost;
  }

  /** Commits; false when the rows are lost. */
  private finish(): boolean {
    // SQLite may roll a transaction back by itself on a failed write (SQLITE_FULL): the guard
    // has said so, and the rows written before it went with it
    if (!this.db.inTransaction) return this.rows === 0;
    if (this.guard.run(this.commit, this.rows) !== undefined) return true;
    if (this.db.inTransaction) {
      // nothing more to lose: the guard has said it, and a rollback that fails changes nothing
      this.guard.run(this.rollback, 0);
    }
    return false;
  }
}
