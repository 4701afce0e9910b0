import type { TextLog } from './text-log.js';

export type WriteGuard = {
  /**
   * Runs a write; a failure is counted and said (loudly once), never thrown. `rows` is what a
   * failure loses: 1 for a row, the rows of a transaction for its commit.
   */
  run: <T>(write: () => T, rows?: number) => T | undefined;
  /** Rows lost since writing last worked for a while (0 while writes succeed). */
  readonly lost: number;
};

/**
 * A disk that failed is taken as back only once writes have gone through for this long since the
 * last failure: a nearly full disk lets some writes through (SQLite reuses freed pages), and the
 * log must not flip between "failing" and "back" with every row.
 */
const RECOVERED_AFTER_MS = 5_000;

/**
 * Every write to the event log goes through one guard: a full or failing disk must never stop
 * supervision, but the loss must be known. The first failure is an ERROR line saying that history
 * is not being recorded; later ones are only counted; once writes succeed again (for a while), a
 * line says how many rows were lost, and writing simply goes on.
 */
export function writeGuard(
  what: string,
  log: TextLog,
  options: { relieve?: () => void; now?: () => number } = {},
): WriteGuard {
  const now = options.now ?? Date.now;
  let lost = 0;
  let lastFailureMs = 0;
  let lastReliefMs = -Infinity;
  return {
    run: <T>(write: () => T, rows = 1): T | undefined => {
      let result: T;
      try {
        result = write();
      } catch (error) {
        lastFailureMs = now();
        // what the store can do to free space (a WAL checkpoint), tried at most once a second
        if (options.relieve !== undefined && lastFailureMs - lastReliefMs >= 1000) {
          lastReliefMs = lastFailureMs;
          try {
            options.relieve();
          } catch {
            // still no space: the next failure a second from now tries again
          }
        }
        if (lost === 0 && rows > 0) {
          log.error(
            `${what}: cannot write (${describe(error)}): history is not being recorded, supervision goes on`,
          );
        }
        lost += rows;
        return undefined;
      }
      if (lost > 0 && now() - lastFailureMs >= RECOVERED_AFTER_MS) {
        log.warn(`${what}: writing again; ${lost} rows were lost while it could not be written`);
        lost = 0;
      }
      return result;
    },
    get lost() {
      return lost;
    },
  };
}

function describe(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  return typeof code === 'string' ? `${code}: ${message}` : message;
}
