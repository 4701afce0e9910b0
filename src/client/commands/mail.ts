import { EXIT } from '../exit-codes.js';
import { jsonText, lines, type Command } from '../command.js';
import { UsageError } from '../usage-error.js';

export const mail: Command = {
  name: 'mail',
  synopsis: 'mail test',
  summary: 'send a test mail through the email settings',
  details: [
    'The daemon sends a test mail now, through the server of its email section, to every',
    'address of email.to, and tm prints the server reply (`test mail sent to ops@example.com:',
    '250 OK`). If the server cannot be reached or refuses the mail, the SMTP error is printed',
    'and the exit status is 1, as when the config has no email section. --json prints',
    '{to, response, rejected}.',
  ],
  options: [],
  arity: { min: 1, max: 1 },
  run: async (session, { args }) => {
    if (args[0] !== 'test') {
      throw new UsageError(`mail: unknown action: ${args[0]}`, 'usage: tm mail test');
    }
    const connection = await session.connect();
    const result = await connection.call('testmail', {});
    const { io } = session;
    if (session.json) {
      io.stdout(jsonText(result));
    } else {
      io.stdout(lines([`test mail sent to ${result.to.join(', ')}: ${result.response}`]));
      if (result.rejected.length > 0) {
        io.stderr(`tm: the server refused it for ${result.rejected.join(', ')}\n`);
      }
    }
    return result.rejected.length === 0 ? EXIT.ok : EXIT.failed;
  },
};
