import { NEVER, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { digest } from '../../../src/alerts/digest.js';

/** Issue 9: the digest window opens with the first alert and closes `windowMs` later. */

function scheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

/** Values folded into arrays, on the test scheduler's virtual clock. */
function collect(windowMs: number, flush$: Observable<unknown>, s: TestScheduler) {
  return digest<string, string[]>({
    windowMs: () => windowMs,
    seed: () => [],
    add: (acc, v) => void acc.push(v),
    flush$,
    scheduler: s,
  });
}

describe('digest', () => {
  it('gathers from the first value for windowMs, and is quiet while nothing comes', () => {
    const s = scheduler();
    s.run(({ cold, expectObservable }) => {
      // frames: a 0, b 2, c 5, d 26, e 39, complete 43
      const source = cold('a 1ms b 2ms c 20ms d 12ms e 3ms |');
      // a opens at 0, closes at 10; d opens at 26, closes at 36; e's is closed by the end
      expectObservable(source.pipe(collect(10, NEVER, s))).toBe('10ms x 25ms y 6ms (z|)', {
        x: ['a', 'b', 'c'],
        y: ['d'],
        z: ['e'],
      });
    });
  });

  it('emits what is open when the source completes, and nothing for an empty window', () => {
    const s = scheduler();
    s.run(({ cold, expectObservable }) => {
      expectObservable(cold('a 2ms b|').pipe(collect(100, NEVER, s))).toBe('4ms (x|)', {
        x: ['a', 'b'],
      });
      expectObservable(cold('5ms |').pipe(collect(100, NEVER, s))).toBe('5ms |');
    });
  });

  it('closes the open window at once on flush, and a flush with none open emits nothing', () => {
    const s = scheduler();
    s.run(({ hot, expectObservable }) => {
      // flushes at 3 and 14; values a 0, b 2, c 23
      const flush$ = hot<void>('3ms f 10ms f');
      const source = hot('a 1ms b 20ms c');
      expectObservable(source.pipe(collect(50, flush$, s))).toBe('3ms x 69ms y', {
        x: ['a', 'b'],
        y: ['c'],
      });
    });
  });
});
