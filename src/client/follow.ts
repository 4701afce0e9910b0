import type { RpcConnection, Subscription } from '../rpc/connection.js';
import type { Session } from './command.js';

/**
 * Runs a stream (`log -f`, `tail -f`) until the daemon ends it or the user presses Ctrl-C:
 * prints the first reply, then each event. Events can come in the same read as the first reply,
 * before its promise settles: they are held back until it is printed. Ctrl-C ends it without an
 * error; a lost connection is the error thrown.
 */
export async function follow<R>(
  session: Session,
  connection: RpcConnection,
  start: (onEvent: (event: unknown) => void) => Subscription<R>,
  printFirst: (result: R) => void,
  printEvent: (event: unknown) => void,
): Promise<void> {
  let early: unknown[] | null = [];
  const subscription = start((event) => {
    if (early === null) printEvent(event);
    else early.push(event);
  });
  let isInterrupted = false;
  let isEnded = false;
  const ended = subscription.done.finally(() => (isEnded = true));
  // awaited below; when the first reply fails (an unknown name) that error is the one
  // reported, and this same error must not count as unhandled meanwhile
  ended.catch(() => {});
  const stopOnInterrupt = session.io.onInterrupt(() => {
    isInterrupted = true;
    // a stream the daemon does not know yet (Ctrl-C before its first reply) cannot be
    // cancelled: closing the connection ends it all the same
    void cancel(subscription.cancel).then(() => isEnded || connection.close());
  });
  try {
    printFirst(await subscription.result);
    for (const event of early) printEvent(event);
    early = null;
    await ended;
  } catch (error) {
    if (!isInterrupted) throw error;
  } finally {
    stopOnInterrupt();
  }
}

/** Ctrl-C: ends the stream (then `done` settles). A lost connection settles it anyway. */
async function cancel(doCancel: () => Promise<void>): Promise<void> {
  try {
    await doCancel();
  } catch {
    // the connection is gone: `done` has been rejected with why, and that is reported
  }
}
