import type { StoredEvent } from '../../domain/types.js';
import { EXIT } from '../exit-codes.js';
import { jsonText, lines, type Command } from '../command.js';
import { eventJson, eventLine } from '../render.js';
import { parseSince } from '../since.js';
import { UsageError } from '../usage-error.js';

export const log: Command = {
  name: 'log',
  synopsis: 'log [NAME…] [--limit N] [--since TIME] [-f]',
  summary: 'the history of transitions of instances (default: all)',
  details: [
    'Oldest first, in local time: `2026-11-24 21:25:10.703  web:0  stopped -> starting',
    '(autostart)`, then the pid, the exit code or signal, and the message when there are.',
    'TIME is a time (2026-11-24, 2026-11-24 21:25, 21:25 today, ISO with a zone), epoch ms,',
    'or a duration back from now: 30s, 10m, 2h, 1d. --json prints an array of {seq, time,',
    'name, from, to, cause, pid, exitcode, signal, retries, message, revision}; with -f, one',
    'such object a line. -f runs until Ctrl-C, which ends it with status 0.',
  ],
  options: [
    { long: '--limit', short: '-n', value: 'N', help: 'only the newest N events' },
    { long: '--since', value: 'TIME', help: 'only events at or after TIME' },
    { long: '--follow', short: '-f', help: 'then print new events as they happen' },
  ],
  arity: { min: 0, max: null },
  run: async (session, { args, options }) => {
    const limit = options.get('limit');
    const since = options.get('since');
    const params = {
      names: [...args],
      limit: typeof limit === 'string' ? parseLimit(limit) : null,
      sinceMs: typeof since === 'string' ? parseSince(since, session.io.now()) : null,
      follow: options.has('follow'),
    };
    const connection = await session.connect();
    if (!params.follow) {
      const events = await connection.call('log', params);
      session.io.stdout(
        session.json ? jsonText(events.map(eventJson)) : lines(events.map(eventLine)),
      );
      return EXIT.ok;
    }
    const print = (e: StoredEvent) => {
      session.io.stdout(session.json ? `${JSON.stringify(eventJson(e))}\n` : `${eventLine(e)}\n`);
    };
    // events can come in the same read as the history, before its promise settles: held back
    let early: StoredEvent[] | null = [];
    const subscription = connection.subscribe('log', params, (e) => {
      if (early === null) print(e as StoredEvent);
      else early.push(e as StoredEvent);
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
      for (const e of await subscription.result) print(e);
      for (const e of early) print(e);
      early = null;
      await ended;
    } catch (error) {
      if (!isInterrupted) throw error;
    } finally {
      stopOnInterrupt();
    }
    return EXIT.ok;
  },
};

function parseLimit(text: string): number {
  if (/^\d+$/.test(text) && Number(text) >= 1) return Number(text);
  throw new UsageError(`--limit: expected a whole number of 1 or more, found "${text}"`);
}

/** Ctrl-C: ends the stream (then `done` settles). A lost connection settles it anyway. */
async function cancel(doCancel: () => Promise<void>): Promise<void> {
  try {
    await doCancel();
  } catch {
    // the connection is gone: `done` has been rejected with why, and that is reported
  }
}
