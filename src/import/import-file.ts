import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import * as path from 'node:path';
import { convertSupervisorConfig, type ImportOptions } from './convert.js';
import { formatNote, type Note } from './notes.js';
import { renderYaml } from './render-yaml.js';

/** The --output file is there already, and --force was not given. */
export class OutputExistsError extends Error {
  override name = 'OutputExistsError';
  constructor(readonly file: string) {
    super(`${file} exists already`);
  }
}

export type Imported = {
  yaml: string;
  /** What could not be carried over, one line each, for stderr. */
  dropped: string[];
  notes: Note[];
  hasSecrets: boolean;
};

/**
 * `file` (a supervisord.conf, named as the user wrote it) as taskmaster YAML; `outputFile`
 * null: for stdout. Relative paths are taken from `cwd`.
 */
export function importSupervisorConfig(
  file: string,
  outputFile: string | null,
  cwd: string,
  options: Partial<ImportOptions> = {},
): Imported {
  const outputDir = outputFile === null ? null : path.dirname(path.resolve(cwd, outputFile));
  const { output, notes, files } = convertSupervisorConfig(file, {
    outputDir,
    env: options.env ?? process.env,
    hostname: options.hostname ?? hostname(),
    randomSecret: options.randomSecret ?? (() => randomBytes(18).toString('base64url')),
  });
  const yaml = renderYaml(output, notes, files, outputDir ?? cwd);
  const dropped = notes.filter((n) => n.isDropped).map((n) => formatNote(n, cwd));
  return { yaml, dropped, notes, hasSecrets: output.hasSecrets };
}

/**
 * Writes the YAML to `file`: never over an existing file unless `force`, and readable by its
 * owner only when it holds a password.
 */
export function writeOutput(file: string, imported: Imported, force: boolean): void {
  try {
    writeFileSync(file, imported.yaml, {
      flag: force ? 'w' : 'wx',
      mode: imported.hasSecrets ? 0o600 : 0o644,
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new OutputExistsError(file);
    throw error;
  }
}
