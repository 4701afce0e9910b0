import type { LogRow } from '../../domain/types.js';
import { LOG_DEFAULT_LIMIT, LOG_FOLLOW_DEFAULT_LIMIT, LOG_MAX_LIMIT } from '../../rpc/protocol.js';
import { EXIT } from '../exit-codes.js';
import { jsonText, lines, type Command } from '../command.js';
import { logJson, logLine } from '../render.js';
import { follow } from '../follow.js';
import { parseSince } from '../since.js';
import { UsageError } from '../usage-error.js';

export const log: Command = {
  name: 'log',
  synopsis: 'log [NAME…] [--limit N] [--since TIME] [-f]',
  summary: 'the history of instances (default: all): transitions and the actions asked',
  details: [
    'Oldest first, in local time: `2026-11-24 21:25:10.703  web:0  stopped -> starting',
    '(autostart)`, then the pid, the exit code or signal, and the message when there are.',
    'Each start, stop, restart, signal, reload and shutdown asked of the daemon is there too:',
    '`web:0  stop asked by tm 0.1.0@127.0.0.1:41234  names=web wait=true` before what it',
    'caused, `web:0  stop ok  stopped` (or `stop failed  NOT_RUNNING: not running`) after.',
    'TIME is a time (2026-11-24, 2026-11-24 21:25, 21:25 today, ISO with a zone), epoch ms,',
    'or a duration back from now: 30s, 10m, 2h, 1d. --json prints an array of {seq, time,',
    'kind, name, from, to, cause, pid, exitcode, signal, retries, message, waitms, expected,',
    'revision} (an action or daemon row: {seq, time, kind, name, action, client, message,',
    `revision}); with -f, one such object a line. -f starts with the newest ${LOG_FOLLOW_DEFAULT_LIMIT} events`,
    '(--limit 0: none) and runs until Ctrl-C, which ends it with status 0.',
  ],
  options: [
    {
      long: '--limit',
      short: '-n',
      value: 'N',
      help: `only the newest N events (default ${LOG_DEFAULT_LIMIT}, with -f ${LOG_FOLLOW_DEFAULT_LIMIT})`,
    },
    { long: '--since', value: 'TIME', help: 'only events at or after TIME' },
    { long: '--follow', short: '-f', help: 'then print new events as they happen' },
  ],
  arity: { min: 0, max: null },
  run: async (session, { args, options }) => {
    const limit = options.get('limit');
    const since = options.get('since');
    const isFollow = options.has('follow');
    const params = {
      names: [...args],
      limit: typeof limit === 'string' ? parseLimit(limit, isFollow) : null,
      sinceMs: typeof since === 'string' ? parseSince(since, session.io.now()) : null,
      follow: isFollow,
    };
    const connection = await session.connect();
    if (!params.follow) {
      const events = await connection.call('log', params);
      session.io.stdout(session.json ? jsonText(events.map(logJson)) : lines(events.map(logLine)));
      if (params.limit === null && events.length === LOG_DEFAULT_LIMIT) {
        session.io.stderr(
          `tm: the newest ${LOG_DEFAULT_LIMIT} events; --limit N (up to ${LOG_MAX_LIMIT}) or --since TIME for more\n`,
        );
      }
      return EXIT.ok;
    }
    const print = (e: LogRow) => {
      session.io.stdout(session.json ? `${JSON.stringify(logJson(e))}\n` : `${logLine(e)}\n`);
    };
    await follow(
      session,
      connection,
      (onEvent) => connection.subscribe('log', params, onEvent),
      (history) => history.forEach(print),
      (e) => print(e as LogRow),
    );
    return EXIT.ok;
  },
};

/** 1 to LOG_MAX_LIMIT; with -f also 0, for new events only. */
function parseLimit(text: string, isFollow: boolean): number {
  const min = isFollow ? 0 : 1;
  if (/^\d+$/.test(text) && Number(text) >= min && Number(text) <= LOG_MAX_LIMIT) {
    return Number(text);
  }
  throw new UsageError(
    `--limit: expected a whole number from ${min} to ${LOG_MAX_LIMIT}, found "${text}"`,
    text === '0' ? '--limit 0 (no history, new events only) goes with -f' : null,
  );
}
