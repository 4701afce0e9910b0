import type { ErrorCode } from '../domain/errors.js';

/** The exit statuses of tm (docs/tm.md), as s6 documents its 99/100/111. */
export const EXIT = {
  /** Everything asked for was done. */
  ok: 0,
  /** A target failed: unknown name, spawn error, refused config, instance not running … */
  failed: 1,
  /** tm was called wrongly: unknown command or option, bad argument, no config. */
  usage: 2,
  /** The daemon could not be reached, or refused tm (wrong token, other protocol version). */
  unreachable: 3,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Codes that mean tm could not talk to the daemon at all. */
const REFUSED: readonly ErrorCode[] = [
  'UNREACHABLE',
  'UNAUTHORIZED',
  'VERSION_MISMATCH',
  'TOO_MANY_CLIENTS',
  'IDLE_TIMEOUT',
];

/**
 * The exit status for an error the daemon (or the connection to it) reported: refused or
 * unreachable 3, arguments the daemon found wrong (an unknown signal) 2, anything else is a
 * target that failed (NO_SUCH_PROGRAM, CONFIG_INVALID, SHUTTING_DOWN, INTERNAL …) 1.
 */
export function exitCodeFor(code: ErrorCode): ExitCode {
  if (REFUSED.includes(code)) return EXIT.unreachable;
  if (code === 'BAD_PARAMS') return EXIT.usage;
  return EXIT.failed;
}
