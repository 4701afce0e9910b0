import { TaskmasterError, type ErrorCode } from '../domain/errors.js';
import type { Note } from '../eventlog/append.js';
import { actionName, type ActionResult, type ControlVerb } from '../rpc/protocol.js';
import type { RequestContext } from '../rpc/server.js';

/**
 * The rows of a control action (docs/protocol.md, § Control actions in the event log): `VERB
 * asked` for each instance it reaches before anything is done to it, then `VERB ok` or `VERB
 * failed` for each after. An action on the whole daemon, or one refused before it reached any
 * instance (an unknown name), has a row with no name.
 */
export type Audit = {
  /** Before acting: one row per instance name, or one with no name for null. */
  asked: (names: readonly (string | null)[]) => void;
  /** After: the outcome of each instance. */
  done: (results: readonly ActionResult[]) => void;
  /** After: the same failure for each of `names`. */
  failed: (names: readonly (string | null)[], error: unknown) => void;
  /** After an action on the whole daemon that went through. */
  ok: (message: string) => void;
};

export function audit(
  write: (note: Note) => void,
  context: RequestContext,
  verb: ControlVerb,
  args: string | null,
): Audit {
  const client = clientText(context);
  const row = (name: string | null, phase: 'asked' | 'ok' | 'failed', message: string | null) =>
    write({ kind: 'action', name, action: actionName(verb, phase), client, message });
  return {
    asked: (names) => names.forEach((name) => row(name, 'asked', args)),
    done: (results) =>
      results.forEach((r) =>
        r.ok ? row(r.name, 'ok', r.message) : row(r.name, 'failed', failure(r.code, r.message)),
      ),
    failed: (names, error) => {
      const { code, message } = typedOf(error);
      names.forEach((name) => row(name, 'failed', failure(code, message)));
    },
    ok: (message) => row(null, 'ok', oneLine(message)),
  };
}

/** `tm 0.1.0@127.0.0.1:41234`; `unknown@…` for a client that did not say its name. */
export function clientText(context: RequestContext): string {
  return `${context.clientName ?? 'unknown'}@${context.peer}`;
}

/** The arguments of an action as `key=value` words: `names=web,db:0 wait=true`. */
export function argsText(args: Record<string, string | boolean | readonly string[]>): string {
  return Object.entries(args)
    .map(([key, value]) => `${key}=${Array.isArray(value) ? value.join(',') : String(value)}`)
    .join(' ');
}

/** `NOT_RUNNING: not running`: the code first, so a reader can pick it out. */
function failure(code: ErrorCode | null, message: string): string {
  return `${code ?? 'INTERNAL'}: ${oneLine(message)}`;
}

function typedOf(error: unknown): { code: ErrorCode; message: string } {
  if (error instanceof TaskmasterError) return { code: error.code, message: error.message };
  return { code: 'INTERNAL', message: error instanceof Error ? error.message : String(error) };
}

/** A config refused with several problems says them on one line: tm log prints a row a line. */
function oneLine(text: string): string {
  return text.split('\n').join('; ');
}
