import type { AlertEvent } from '../config/types.js';
import type { StoredEvent } from '../domain/types.js';

/**
 * What a row of the event log is worth an alert for, worst first (a start that failed for good on
 * a spawn error is both `fatal` and `spawn-error`). It reads what the machine recorded, never
 * the config: `expected` says whether an exit was in `exitcodes` (or asked for by a stop), and the
 * crash-loop throttle shows as a row into `backoff` with cause `crash-loop`. `recovered` is not
 * here: whether a run counts as one depends on what came before it (see `isRun`).
 */
export function alertKindsOf(e: StoredEvent): AlertEvent[] {
  const kinds: AlertEvent[] = [];
  if (e.to === 'fatal') kinds.push('fatal');
  if (e.cause === 'spawn-error' && (e.to === 'backoff' || e.to === 'fatal')) {
    kinds.push('spawn-error');
  }
  if (e.to === 'backoff' && e.cause === 'crash-loop') kinds.push('crash-loop');
  // death by signal is recorded unexpected too; an exit during a stop is expected
  if (e.expected === false) kinds.push('unexpected');
  return kinds;
}

/** A process that stayed up its `starttime`: after an alert, that is a recovery. */
export function isRun(e: StoredEvent): boolean {
  return e.from === 'starting' && e.to === 'running' && e.cause === 'timeout';
}

/** The worst of the row's alerts that the config asks for, or null. */
export function alertOf(e: StoredEvent, wanted: readonly AlertEvent[]): AlertEvent | null {
  return alertKindsOf(e).find((k) => wanted.includes(k)) ?? null;
}
