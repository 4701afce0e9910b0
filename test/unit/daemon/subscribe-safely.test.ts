import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { subscribeSafely } from '../../../src/daemon/subscribe-safely.js';

/**
 * Issue 9: a projection of the event stream that throws is logged, and the other projections
 * (and the publisher: the instance machine's `record`) go on. A bare rxjs subscriber's throw is
 * rethrown on a timer as an uncaughtException, which shuts the daemon down; vitest fails the
 * run on one, so this test also shows that none escapes.
 */
describe('subscribeSafely', () => {
  it('logs a failing projection, once in full and then counted, while the others get every event', () => {
    const events = new Subject<number>();
    const errors: string[] = [];
    const seen: number[] = [];
    subscribeSafely(events, 'text log', { error: (l) => errors.push(l) }, (n) => {
      if (n % 2 === 0) throw new Error(`cannot describe ${n}`);
    });
    subscribeSafely(events, 'mail alerts', { error: (l) => errors.push(l) }, (n) => seen.push(n));
    for (let n = 1; n <= 6; n++) expect(() => events.next(n)).not.toThrow();
    expect(seen).toEqual([1, 2, 3, 4, 5, 6]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
      /^text log: internal error, this event skipped: Error: cannot describe 2\n {4}at /,
    );
  });
});
