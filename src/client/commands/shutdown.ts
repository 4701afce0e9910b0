import { EXIT } from '../exit-codes.js';
import { jsonText, lines, type Command } from '../command.js';

export const shutdown: Command = {
  name: 'shutdown',
  synopsis: 'shutdown',
  summary: 'stop every instance, then the daemon',
  details: [
    'Waits until the daemon has stopped every instance (each with its stopsignal and',
    'stoptime) and closed the connection, then prints `taskmasterd (pid N) stopped`.',
    '--json prints {pid, stopped: true}.',
  ],
  options: [],
  arity: { min: 0, max: 0 },
  run: async (session) => {
    const connection = await session.connect();
    const { pid } = await connection.call('shutdown', {});
    // the daemon closes every connection once everything has stopped
    await connection.closed;
    session.io.stdout(
      session.json ? jsonText({ pid, stopped: true }) : lines([`taskmasterd (pid ${pid}) stopped`]),
    );
    return EXIT.ok;
  },
};
