import { EXIT } from '../exit-codes.js';
import { type Command } from '../command.js';
import { UsageError } from '../usage-error.js';

export const tail: Command = {
  name: 'tail',
  synopsis: 'tail NAME [--stderr] [--bytes N] [-f]',
  summary: "the end of an instance's output (its stdout file, or stderr)",
  details: [
    'Prints the last N bytes (default 1600) of the file the config gives as the instance’s',
    'stdout (or stderr), from the start of a line. -f then prints what is appended, until',
    'Ctrl-C, which ends it with status 0. An instance whose output is discarded has nothing',
    'to tail.',
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
    // appends can come in the same read as the first reply: held back until it is printed
    let early: string[] | null = [];
    const subscription = connection.subscribe('tail', params, (e) => {
      const { text } = e as { text: string };
      if (early === null) session.io.stdout(text);
      else early.push(text);
    });
    let isInterrupted = false;
    const ended = subscription.done;
    // awaited below; a failing first reply is the error reported, not an unhandled one
    ended.catch(() => {});
    const stopOnInterrupt = session.io.onInterrupt(() => {
      isInterrupted = true;
      void subscription.cancel().catch(() => connection.close());
    });
    try {
      session.io.stdout((await subscription.result).text);
      for (const text of early) session.io.stdout(text);
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

function parseBytes(text: string): number {
  if (/^\d+$/.test(text)) return Number(text);
  throw new UsageError(`--bytes: expected a whole number, found "${text}"`);
}
