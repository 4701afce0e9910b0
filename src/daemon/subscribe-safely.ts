import type { Observable, Subscription } from 'rxjs';
import { ThrottledLog } from '../rpc/throttled-log.js';
import type { TextLog } from './text-log.js';

/** A projection that fails on every event says so in full once, then as a count this often. */
const FAILURE_LOG_INTERVAL_MS = 10_000;

/**
 * Subscribes a projection of the event stream (the text log, the alerts) so that an exception
 * in it is logged and goes no further. rxjs would rethrow it on a timer, out of reach of any
 * catch: an uncaughtException, which shuts the daemon down. The other projections and
 * supervision go on; the failing one gets the next event as usual.
 */
export function subscribeSafely<T>(
  source: Observable<T>,
  what: string,
  log: Pick<TextLog, 'error'>,
  next: (value: T) => void,
): Subscription {
  const failures = new ThrottledLog(
    (line) => log.error(line),
    FAILURE_LOG_INTERVAL_MS,
    (n) => `${what}: failed ${n} more times`,
  );
  return source.subscribe((value) => {
    try {
      next(value);
    } catch (error) {
      const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
      failures.say(`${what}: internal error, this event skipped: ${text}`, 'failures');
    }
  });
}
