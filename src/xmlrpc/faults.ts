import { TaskmasterError, type ErrorCode } from '../domain/errors.js';

/** Supervisor 4.2.5's fault codes (supervisor/xmlrpc.py `Faults`), which its clients test for. */
export const FAULTS = {
  UNKNOWN_METHOD: 1,
  INCORRECT_PARAMETERS: 2,
  BAD_ARGUMENTS: 3,
  SIGNATURE_UNSUPPORTED: 4,
  SHUTDOWN_STATE: 6,
  BAD_NAME: 10,
  BAD_SIGNAL: 11,
  NO_FILE: 20,
  NOT_EXECUTABLE: 21,
  FAILED: 30,
  ABNORMAL_TERMINATION: 40,
  SPAWN_ERROR: 50,
  ALREADY_STARTED: 60,
  NOT_RUNNING: 70,
  SUCCESS: 80,
  ALREADY_ADDED: 90,
  STILL_RUNNING: 91,
  CANT_REREAD: 92,
} as const;
export type FaultName = keyof typeof FAULTS;

/**
 * taskmaster's error codes as Supervisor's faults. A Record over the closed list: a new code
 * without a fault does not compile. Codes of the msgpack session (frames, hello, idle) cannot
 * happen here; they say FAILED should one ever reach this endpoint.
 */
const BY_CODE: Record<ErrorCode, FaultName> = {
  NO_SUCH_PROGRAM: 'BAD_NAME',
  SPAWN_FAILED: 'SPAWN_ERROR',
  ALREADY_STARTED: 'ALREADY_STARTED',
  NOT_RUNNING: 'NOT_RUNNING',
  NO_OUTPUT_FILE: 'NO_FILE',
  TAIL_FAILED: 'FAILED',
  NO_EMAIL: 'FAILED',
  MAIL_FAILED: 'FAILED',
  CONFIG_INVALID: 'CANT_REREAD',
  BAD_FRAME: 'FAILED',
  FRAME_TOO_LARGE: 'FAILED',
  UNKNOWN_METHOD: 'UNKNOWN_METHOD',
  BAD_PARAMS: 'INCORRECT_PARAMETERS',
  UNAUTHORIZED: 'FAILED',
  TOO_MANY_CLIENTS: 'FAILED',
  IDLE_TIMEOUT: 'FAILED',
  SHUTTING_DOWN: 'SHUTDOWN_STATE',
  UNREACHABLE: 'FAILED',
  VERSION_MISMATCH: 'FAILED',
  INTERNAL: 'FAILED',
};

export function faultOf(code: ErrorCode): FaultName {
  return BY_CODE[code];
}

/** A fault as Supervisor words it: `BAD_NAME: web:9`. */
export class Fault extends Error {
  override name = 'Fault';
  readonly code: number;

  constructor(
    readonly fault: FaultName,
    extra: string | null = null,
  ) {
    super(extra === null ? fault : `${fault}: ${extra}`);
    this.code = FAULTS[fault];
  }

  static of(error: TaskmasterError): Fault {
    return new Fault(faultOf(error.code), error.message.split('\n').join('; '));
  }
}
