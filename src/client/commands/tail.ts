import { TAIL_MAX_BYTES, type TailEvent } from '../../rpc/protocol.js';
import { EXIT } from '../exit-codes.js';
import { type Command } from '../command.js';
import { follow } from '../follow.js';
import { UsageError } from '../usage-error.js';

export const tail: Command = {
  name: 'tail',
  synopsis: 'tail NAME [--stderr] [--bytes N] [-f]',
  summary: "the end of an instance's output (its stdout file, or stderr)",
  details: [
    'Prints the last N bytes (default 1600) of the file the config gives as the instance’s',
    'stdout (or stderr), from the start of a line when one begins within them (else the end',
    'of a line longer than N). -f then prints what is appended, until',
    'Ctrl-C, which ends it with status 0. When the program writes faster than tm reads, the',
    'daemon jumps ahead to the newest output and tm says so on stderr: [tm: N bytes skipped].',
    'An instance whose output is discarded has nothing to tail.',
  ],
  options: [
    { long: '--stderr', help: 'the stderr file instead of stdout' },
    { long: '--bytes', value: 'N', help: 'how much of the end to print (default 1600)' },
    { long: '--follow', short: '-f', help: 'then print what is appended as it is written' },
  ],
  arity: { min: 1, max: 1 },
  run: async (session, { args, options }) => {
    const bytes = options.get('bytes');
    const params = {
      name: args[0]!,
      stderr: options.has('stderr'),
      bytes: typeof bytes === 'string' ? parseBytes(bytes) : 1600,
      follow: options.has('follow'),
    };
    const connection = await session.connect();
    if (!params.follow) {
      const { text } = await connection.call('tail', params);
      session.io.stdout(text);
      return EXIT.ok;
    }
    await follow(
      session,
      connection,
      (onEvent) => connection.subscribe('tail', params, onEvent),
      (first) => session.io.stdout(first.text),
      (e) => {
        const event = e as TailEvent;
        if ('skipped' in event) session.io.stderr(`[tm: ${event.skipped} bytes skipped]\n`);
        session.io.stdout(event.text);
      },
    );
    return EXIT.ok;
  },
};

/** Checked here, so that the error names the flag typed rather than the daemon's param. */
function parseBytes(text: string): number {
  if (/^\d+$/.test(text) && Number(text) <= TAIL_MAX_BYTES) return Number(text);
  throw new UsageError(
    `--bytes: expected a whole number from 0 to ${TAIL_MAX_BYTES}, found "${text}"`,
  );
}
