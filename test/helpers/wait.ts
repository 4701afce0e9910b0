import { filter, firstValueFrom, throwError, timeout, type Observable } from 'rxjs';

/**
 * The first value of `source` that matches, or an error naming what never came. Subscribe (call
 * this) before the action that triggers the value, then await it. A function for `what` is
 * called at the deadline: it can tell what was there instead.
 */
export function waitFor<T>(
  source: Observable<T>,
  pred: (x: T) => boolean,
  what: string | (() => string),
  ms = 8000,
): Promise<T> {
  return firstValueFrom(
    source.pipe(
      filter(pred),
      timeout({
        first: ms,
        with: () =>
          throwError(
            () =>
              new Error(
                `timed out after ${ms} ms waiting for ${typeof what === 'string' ? what : what()}`,
              ),
          ),
      }),
    ),
  );
}
