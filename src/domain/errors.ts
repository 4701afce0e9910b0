/** The one catalogue of error codes (docs/protocol.md has the table with what to do about each). */
export const ERROR_CODES = [
  'NO_SUCH_PROGRAM',
  'SPAWN_FAILED',
  'ALREADY_STARTED',
  'NOT_RUNNING',
  'NO_OUTPUT_FILE',
  'TAIL_FAILED',
  'NO_EMAIL',
  'MAIL_FAILED',
  'CONFIG_INVALID',
  'BAD_FRAME',
  'FRAME_TOO_LARGE',
  'UNKNOWN_METHOD',
  'BAD_PARAMS',
  'UNAUTHORIZED',
  'TOO_MANY_CLIENTS',
  'IDLE_TIMEOUT',
  'SHUTTING_DOWN',
  'UNREACHABLE',
  'VERSION_MISMATCH',
  'INTERNAL',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export class TaskmasterError extends Error {
  override name = 'TaskmasterError';
  readonly code: ErrorCode;
  readonly hint: string | null;

  constructor(code: ErrorCode, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.hint = options.hint ?? null;
  }
}

/** One problem found in a config file, located precisely enough to fix it without searching. */
export type ConfigProblem = {
  file: string;
  line: number;
  col: number;
  keyPath: string;
  message: string;
  hint: string | null;
};

export function formatConfigProblem(p: ConfigProblem): string {
  const where = `${p.file}:${p.line}:${p.col}: ${p.keyPath === '' ? '' : `${p.keyPath}: `}`;
  return `${where}${p.message}${p.hint === null ? '' : `\n  hint: ${p.hint}`}`;
}

/** Every problem of a config file, reported together; a config with any of them is not applied. */
export class ConfigError extends TaskmasterError {
  override name = 'ConfigError';
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[]) {
    super('CONFIG_INVALID', problems.map(formatConfigProblem).join('\n'));
    this.problems = problems;
  }
}
