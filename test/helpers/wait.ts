import { filter, firstValueFrom, throwError, timeout, type Observable } from 'rxjs';

/**
 * The first value of `source` that matches, or an error naming what never came. Subscribe (call
 * this) before the action that triggers the value, then await it.
 */
export function waitFor<T>(
  source: Observable<T>,
  pred: (x: T) => boolean,
  what: string,
  ms = 8000,
): Promise<T> {
  return firstValueFrom(
    source.pipe(
      filter(pred),
      timeout({
        first: ms,
        with: () => throwError(() => new Error(`timed out after ${ms} ms waiting for ${what}`)),
      }),
    ),
  );
}
