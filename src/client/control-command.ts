import { EXIT } from './exit-codes.js';
import { jsonText, lines, type Command } from './command.js';
import { actionLines, asAsked } from './render.js';

/** start, stop and restart: the same shape, one daemon method each. */
export function controlCommand(
  action: 'start' | 'stop' | 'restart',
  summary: string,
  details: readonly string[],
): Command {
  return {
    name: action,
    synopsis: `${action} [--no-wait] NAME…`,
    summary,
    details: [
      ...details,
      '',
      'One line an instance: `web:0: started`, or `web:1: ERROR …` with the reason; the exit',
      'status is 1 when any of them failed. An instance already stopped (for stop) or started',
      '(for start) is no failure: `web:1: already stopped`. --json prints the results as an',
      'array of {name, ok, message, code}: code is null on success, else an error code; one',
      'already as asked has ok true and code NOT_RUNNING (stop) or ALREADY_STARTED (start).',
    ],
    options: [
      {
        long: '--no-wait',
        help: 'return once the daemon has the order, without waiting for the outcome',
      },
    ],
    arity: { min: 1, max: null },
    run: async (session, { args, options }) => {
      const connection = await session.connect();
      const results = asAsked(
        action,
        await connection.call(action, { names: [...args], wait: !options.has('no-wait') }),
      );
      session.io.stdout(session.json ? jsonText(results) : lines(actionLines(results)));
      return results.every((r) => r.ok) ? EXIT.ok : EXIT.failed;
    },
  };
}
