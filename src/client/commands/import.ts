import { EXIT } from '../exit-codes.js';
import { jsonText, lines, type Command } from '../command.js';
import { UsageError } from '../usage-error.js';

const USAGE = 'usage: tm import [--output FILE] [--force] SUPERVISORD_CONF';

export const importCommand: Command = {
  name: 'import',
  synopsis: 'import [--output FILE] [--force] SUPERVISORD_CONF',
  summary: 'convert a supervisord.conf to a taskmaster config',
  details: [
    'Reads a Supervisor config (and the files its [include] names) and writes the taskmaster',
    'config that starts the same programs: to stdout, or to FILE with --output, which is never',
    'overwritten unless --force is given. Every setting that cannot be carried over is listed',
    'on stderr and as a comment in the output, at the program it belongs to. Needs no daemon.',
    'A config Supervisor would refuse is refused with its file:line (exit status 1).',
    '--json prints {output, yaml, notcarriedover} (yaml null when written to FILE).',
  ],
  options: [
    { long: '--output', short: '-o', value: 'FILE', help: 'write the config to FILE, not stdout' },
    { long: '--force', help: 'with --output: replace FILE if it exists' },
  ],
  // the argument is checked in run: the generic check would count FILE as missing too
  arity: { min: 0, max: 1 },
  run: async (session, { args, options }) => {
    if (args.length === 0) throw new UsageError('import: missing SUPERVISORD_CONF', USAGE);
    // loaded here, so that the other commands never pay for the converter
    const { importSupervisorConfig, writeOutput, OutputExistsError } =
      await import('../../import/import-file.js');
    const { UnreadableFileError } = await import('../../import/read-config.js');
    const output = options.get('output');
    const outputFile = typeof output === 'string' ? output : null;
    const isForced = options.has('force');
    if (isForced && outputFile === null) {
      throw new UsageError('import: --force goes with --output FILE', USAGE);
    }
    const { io } = session;
    let imported;
    try {
      imported = importSupervisorConfig(args[0]!, outputFile, process.cwd(), { env: io.env });
    } catch (error) {
      if (error instanceof UnreadableFileError) {
        throw new UsageError(`import: ${error.message}`, USAGE);
      }
      throw error;
    }
    if (outputFile !== null) {
      try {
        writeOutput(outputFile, imported, isForced);
      } catch (error) {
        const hint = error instanceof OutputExistsError ? '--force replaces it' : null;
        const reason =
          error instanceof OutputExistsError ? error.message : describeWriteError(error);
        io.stderr(
          `tm: import: ${outputFile}: ${reason}\n${hint === null ? '' : `hint: ${hint}\n`}`,
        );
        return EXIT.failed;
      }
    }
    if (session.json) {
      io.stdout(
        jsonText({
          output: outputFile,
          yaml: outputFile === null ? imported.yaml : null,
          notcarriedover: imported.notes
            .filter((n) => n.isDropped)
            .map(({ file, line, where, message }) => ({ file, line, where, message })),
        }),
      );
      return EXIT.ok;
    }
    if (outputFile === null) io.stdout(imported.yaml);
    if (imported.dropped.length > 0) {
      io.stderr(lines(['tm: import: not carried over:', ...imported.dropped.map((d) => `  ${d}`)]));
    }
    if (outputFile !== null) io.stderr(`tm: import: wrote ${outputFile}\n`);
    return EXIT.ok;
  },
};

function describeWriteError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'its folder does not exist';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'EISDIR') return 'it is a folder';
  return error instanceof Error ? error.message : String(error);
}
