import { EXIT } from '../exit-codes.js';
import { jsonText, lines, type Command } from '../command.js';
import { statusLines } from '../render.js';

export const status: Command = {
  name: 'status',
  synopsis: 'status [NAME…]',
  summary: 'state, pid and uptime of instances (default: all)',
  details: [
    'One line an instance: its name, state, then its pid and uptime, how it ended and when,',
    'or why it cannot start. --json prints an array of objects with name, program, index,',
    'state, pid, since (epoch ms of its last transition), exitcode, signal, retries and',
    'spawnerror.',
  ],
  options: [],
  arity: { min: 0, max: null },
  run: async (session, { args }) => {
    const connection = await session.connect();
    const rows = await connection.call('status', { names: [...args] });
    session.io.stdout(
      session.json ? jsonText(rows) : lines(statusLines(rows, session.io.now(), session.color)),
    );
    return EXIT.ok;
  },
};
