import { GLOBAL_OPTIONS, type OptionSpec } from '../argv.js';
import { EXIT } from '../exit-codes.js';
import { lines, type Command } from '../command.js';
import { UsageError } from '../usage-error.js';
import { suggestSimilar } from '../../domain/suggest-similar.js';

/** `tm help [COMMAND]`; `commands` is every command, this one included. */
export function helpCommand(commands: () => readonly Command[]): Command {
  return {
    name: 'help',
    synopsis: 'help [COMMAND]',
    summary: "this help, or a command's",
    details: [],
    options: [],
    arity: { min: 0, max: 1 },
    run: (session, { args }) => {
      const [name] = args;
      if (name === undefined) {
        session.io.stdout(lines(generalHelp(commands())));
        return Promise.resolve(EXIT.ok);
      }
      const command = commands().find((c) => c.name === name);
      if (command === undefined) {
        const similar = suggestSimilar(
          name,
          commands().map((c) => c.name),
        );
        const guess = similar === null ? '' : ` (did you mean ${similar}?)`;
        throw new UsageError(
          `help: unknown command: ${name}${guess}`,
          'tm help lists the commands',
        );
      }
      session.io.stdout(lines(commandHelp(command)));
      return Promise.resolve(EXIT.ok);
    },
  };
}

export function generalHelp(commands: readonly Command[]): string[] {
  // a long synopsis (log's) puts its summary on the next line rather than widening them all
  const width = 28;
  const commandLines = commands.flatMap((c) =>
    c.synopsis.length <= width - 2
      ? [`  ${c.synopsis.padEnd(width)}${c.summary}`]
      : [`  ${c.synopsis}`, `  ${' '.repeat(width)}${c.summary}`],
  );
  return [
    'usage: tm [-c CONFIG] [--host HOST] [--port PORT] [--json] COMMAND [ARGS…]',
    '',
    'Controls a running taskmasterd, as supervisorctl does supervisord.',
    '',
    'commands:',
    ...commandLines,
    '',
    'NAME is an instance (web:0), every instance of a program (web or web:*), or all.',
    '',
    'options (before or after the command):',
    ...optionLines(GLOBAL_OPTIONS),
    '',
    ...EXIT_STATUS,
  ];
}

export function commandHelp(c: Command): string[] {
  return [
    `usage: tm ${c.synopsis}`,
    '',
    `${c.summary.charAt(0).toUpperCase()}${c.summary.slice(1)}.`,
    ...(c.details.length === 0 ? [] : ['', ...c.details]),
    ...(c.options.length === 0 ? [] : ['', 'options:', ...optionLines(c.options)]),
    '',
    'tm help lists the options every command takes (-c, --host, --port, --json).',
  ];
}

const EXIT_STATUS = [
  'exit status:',
  '  0  ok',
  '  1  a target failed: unknown name, spawn error, refused config, not running …',
  '  2  usage: unknown command or option, bad argument, no config file',
  '  3  taskmasterd unreachable, or it refused tm (wrong token, other protocol version)',
];

function optionLines(options: readonly OptionSpec[]): string[] {
  const left = options.map(
    (o) =>
      `${o.short === undefined ? '    ' : `${o.short}, `}${o.long}${o.value === undefined ? '' : ` ${o.value}`}`,
  );
  const width = Math.max(...left.map((l) => l.length));
  return options.map((o, i) => `  ${left[i]!.padEnd(width)}  ${o.help}`);
}
