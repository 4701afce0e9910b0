import type { TextLog } from './text-log.js';

export type WriteGuard = {
  /** Runs a write; a failure is counted and said (loudly once), never thrown. */
  run: <T>(write: () => T) => T | undefined;
  /** Rows lost since the last success (0 while writes succeed). */
  readonly lost: number;
};

/**
 * Every write to the event log goes through one guard: a full or failing disk must never stop
 * supervision, but the loss must be known. The first failure is an ERROR line saying that history
 * is not being recorded; later ones are only counted; the first success after them says how many
 * rows were lost, and writing simply goes on.
 */
export function writeGuard(what: string, log: TextLog): WriteGuard {
  let lost = 0;
  return {
    run: <T>(write: () => T): T | undefined => {
      let result: T;
      try {
        result = write();
      } catch (error) {
        if (lost === 0) {
          log.error(
            `${what}: cannot write (${describe(error)}): history is not being recorded, supervision goes on`,
          );
        }
        lost += 1;
        return undefined;
      }
      if (lost > 0) {
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
