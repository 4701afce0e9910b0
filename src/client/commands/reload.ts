import { TaskmasterError } from '../../domain/errors.js';
import { EXIT } from '../exit-codes.js';
import { jsonText, lines, type Command } from '../command.js';
import { reloadLines } from '../render.js';

export const reload: Command = {
  name: 'reload',
  synopsis: 'reload',
  summary: 're-read the config and apply what changed',
  details: [
    'Prints what was applied: added, removed, restarted (a key that shapes the process',
    'changed), updated in place (only supervision keys changed), or no change. A config with',
    'errors is refused whole: every problem is printed, nothing changes, and the exit status',
    'is 1. --json prints {summary, revision, added, removed, restarted, updated}.',
  ],
  options: [],
  arity: { min: 0, max: 0 },
  run: async (session) => {
    const connection = await session.connect();
    let changes;
    try {
      changes = await connection.call('reload', {});
    } catch (error) {
      if (error instanceof TaskmasterError && error.code === 'CONFIG_INVALID') {
        throw new TaskmasterError(
          'CONFIG_INVALID',
          `reload refused, nothing changed:\n${error.message}`,
          error.hint === null ? {} : { hint: error.hint },
        );
      }
      throw error;
    }
    session.io.stdout(session.json ? jsonText(changes) : lines(reloadLines(changes)));
    return EXIT.ok;
  },
};
