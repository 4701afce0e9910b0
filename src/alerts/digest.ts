import {
  asyncScheduler,
  Observable,
  type OperatorFunction,
  type SchedulerLike,
  type Subscription,
} from 'rxjs';

export type DigestOptions<T, A> = {
  /** How long a window stays open from its first value; read when the window opens. */
  windowMs: () => number;
  /** A new, empty accumulator, for the first value of a window. */
  seed: () => A;
  add: (acc: A, value: T) => void;
  /** Each emission closes the open window at once (a shutdown). */
  flush$: Observable<unknown>;
  scheduler?: SchedulerLike;
};

/**
 * Gathers values into windows that open with a value and close `windowMs` later, and emits each
 * window's accumulator as it closes. Unlike `bufferTime` nothing ticks while no value comes, and
 * unlike `buffer` the values are folded as they come: a crash loop of 500 exits is one
 * accumulator of counts, not 500 rows held until the window closes.
 */
export function digest<T, A>(options: DigestOptions<T, A>): OperatorFunction<T, A> {
  const scheduler = options.scheduler ?? asyncScheduler;
  return (source) =>
    new Observable<A>((subscriber) => {
      let acc: A | null = null;
      let timer: Subscription | null = null;
      const close = () => {
        timer?.unsubscribe();
        timer = null;
        if (acc === null) return;
        const done = acc;
        acc = null;
        subscriber.next(done);
      };
      const flushing = options.flush$.subscribe(close);
      const reading = source.subscribe({
        next: (value) => {
          if (acc === null) {
            acc = options.seed();
            timer = scheduler.schedule(close, options.windowMs());
          }
          options.add(acc, value);
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => {
          close();
          subscriber.complete();
        },
      });
      return () => {
        reading.unsubscribe();
        flushing.unsubscribe();
        timer?.unsubscribe();
      };
    });
}
