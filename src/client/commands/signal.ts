import { EXIT } from '../exit-codes.js';
import { jsonText, lines, type Command } from '../command.js';
import { actionLines } from '../render.js';

export const signal: Command = {
  name: 'signal',
  synopsis: 'signal SIG NAME…',
  summary: 'send a signal to the processes of instances',
  details: [
    'SIG is a name or a number: HUP, SIGUSR1, 9 (or -9). One line an instance, as for start;',
    'an instance with no process is an error.',
  ],
  options: [],
  arity: { min: 2, max: null },
  run: async (session, { args }) => {
    const [sig, ...names] = args as [string, ...string[]];
    const connection = await session.connect();
    // kill(1) style: `tm signal -9 web`
    const results = await connection.call('signal', { signal: sig.replace(/^-/, ''), names });
    session.io.stdout(session.json ? jsonText(results) : lines(actionLines(results)));
    return results.every((r) => r.ok) ? EXIT.ok : EXIT.failed;
  },
};
