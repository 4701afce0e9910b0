import { EXIT } from '../exit-codes.js';
import { jsonText, lines, type Command } from '../command.js';

export const pid: Command = {
  name: 'pid',
  synopsis: 'pid [NAME…]',
  summary: "the daemon's pid, or the pids of instances",
  details: [
    "Without NAME: the daemon's pid. With names that stand for one instance: its pid alone",
    '(for kill "$(tm pid web:0)"); for several: one `NAME PID` line each. An instance with no',
    'process is said on stderr, and the exit status is 1. --json prints {daemon, instances:',
    '[{name, pid}]} (pid null when none).',
  ],
  options: [],
  arity: { min: 0, max: null },
  run: async (session, { args }) => {
    const connection = await session.connect();
    const result = await connection.call('pid', { names: [...args] });
    const { io } = session;
    if (session.json) {
      io.stdout(jsonText(args.length === 0 ? { daemon: result.daemon } : result));
    } else if (args.length === 0) {
      io.stdout(lines([String(result.daemon)]));
    } else {
      const isOne = result.instances.length === 1;
      const running = result.instances.filter((i) => i.pid !== null);
      io.stdout(lines(running.map((i) => (isOne ? `${i.pid}` : `${i.name} ${i.pid}`))));
    }
    const idle = result.instances.filter((i) => i.pid === null);
    if (!session.json) for (const i of idle) io.stderr(`tm: ${i.name}: not running\n`);
    return idle.length === 0 ? EXIT.ok : EXIT.failed;
  },
};
