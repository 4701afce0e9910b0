// Waiting in the bench: poll a condition every `everyMs` until it holds or the deadline passes;
// the error says what never came.
import { setTimeout as sleep } from 'node:timers/promises';

export async function until(check, what, { timeoutMs = 60_000, everyMs = 20 } = {}) {
  const deadline = performance.now() + timeoutMs;
  let lastError = null;
  for (;;) {
    try {
      const v = await check();
      if (v !== false && v !== null && v !== undefined) return v;
    } catch (err) {
      lastError = err; // not up yet, or a reply in between: poll again until the deadline
    }
    if (performance.now() > deadline) {
      const why = lastError === null ? '' : ` (last error: ${lastError.message})`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`);
    }
    await sleep(everyMs);
  }
}

export { sleep };
