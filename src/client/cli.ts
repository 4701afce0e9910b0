const HELP = `usage: tm [-c CONFIG] COMMAND [ARGS…]

Controls a running taskmasterd.

commands:
  status [NAME…]          state, pid and uptime of instances
  start NAME…             start instances (prog:N, prog, prog:*, all)
  stop NAME…              stop instances
  restart NAME…           stop, then start instances
  reload                  re-read the config and apply what changed
  shutdown                stop every instance and the daemon
  log [NAME] [-f]         the event history of instances
  tail NAME [-f]          the output of an instance
  help                    this help`;

/** Exit codes: 0 ok, 1 a target failed, 2 usage, 3 daemon unreachable or refused. */
export function runClient(argv: readonly string[], version: string): number {
  const [command] = argv;
  if (command === undefined || command === 'help' || command === '-h' || command === '--help') {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  if (command === '--version' || command === '-v') {
    process.stdout.write(`tm ${version}\n`);
    return 0;
  }
  process.stderr.write(
    `tm: ${command}: this build of tm has no control connection to taskmasterd yet\n`,
  );
  return 2;
}
