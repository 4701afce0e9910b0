import { ERROR_CODES, TaskmasterError, type ErrorCode } from '../domain/errors.js';
import type { LogRow, State } from '../domain/types.js';

/**
 * The wire contract shared by taskmasterd and tm (docs/protocol.md): the methods, their params
 * and results, and the validation of everything that comes off the wire. msgpack decodes many
 * garbage byte strings as valid values, so every decoded message is checked for its shape here.
 */

export const PROTOCOL_VERSION = 1;
/** The largest frame body either side accepts; a longer length prefix closes the connection. */
export const MAX_FRAME_BYTES = 1024 * 1024;
/** Events one `log` reply carries when no limit is asked, and at most: it must fit a frame. */
export const LOG_DEFAULT_LIMIT = 1000;
export const LOG_MAX_LIMIT = 5000;
/** Events of history a `log` with `follow` starts with when no limit is asked (`tail -f`'s 10). */
export const LOG_FOLLOW_DEFAULT_LIMIT = 10;

/** The history a `log` request gets when it asks for no limit. */
export function defaultLogLimit(follow: boolean): number {
  return follow ? LOG_FOLLOW_DEFAULT_LIMIT : LOG_DEFAULT_LIMIT;
}

/** The longest client name a hello may give (it is written in the event log with each action). */
export const CLIENT_NAME_MAX_LENGTH = 100;

/**
 * Control actions asked over the wire, each on record in the event log (docs/protocol.md,
 * § Control actions in the event log): a row `VERB asked` before it is acted on, a row
 * `VERB ok` or `VERB failed` after.
 */
export const CONTROL_VERBS = ['start', 'stop', 'restart', 'signal', 'reload', 'shutdown'] as const;
export type ControlVerb = (typeof CONTROL_VERBS)[number];
export type ActionPhase = 'asked' | 'ok' | 'failed';

/** The `action` of such a row: `stop asked`, `stop ok`, `stop failed`. */
export function actionName(verb: ControlVerb, phase: ActionPhase): string {
  return `${verb} ${phase}`;
}
/**
 * The largest frame body of a `tail -f` event: what is appended goes in chunks of this size at
 * most, whatever the size of the write, so that neither side holds more than a chunk of it.
 */
export const TAIL_EVENT_MAX_BYTES = 64 * 1024;
/** The most a `tail` asks for: its reply must fit in a frame. */
export const TAIL_MAX_BYTES = MAX_FRAME_BYTES / 2;

/**
 * A `tail -f` stream event: text appended to the file, or (text empty) the notice that the
 * client was too far behind and `skipped` bytes were jumped over.
 */
export type TailEvent = { text: string } | { text: ''; skipped: number };

export type InstanceStatus = {
  name: string;
  program: string;
  index: number;
  state: State;
  pid: number | null;
  /** Epoch ms of the last transition (null if none happened since the daemon started). */
  since: number | null;
  exitcode: number | null;
  signal: string | null;
  retries: number;
  spawnerror: string | null;
};

/** The outcome of start/stop/restart/signal for one instance. */
export type ActionResult = {
  name: string;
  ok: boolean;
  /** `started`, `stopped`, … or what went wrong, without the `ERROR` prefix. */
  message: string;
  code: ErrorCode | null;
};

export type ReloadChanges = {
  summary: string;
  revision: number;
  added: string[];
  removed: string[];
  restarted: string[];
  updated: string[];
};

export type HelloResult = {
  version: number;
  pid: number;
  config: string;
};

export type Methods = {
  /** `client`: what the client calls itself (`tm 0.1.0`), written with each action it asks. */
  hello: {
    params: { version: number; token: string; client?: string };
    result: HelloResult;
  };
  status: { params: { names: string[] }; result: InstanceStatus[] };
  start: { params: { names: string[]; wait: boolean }; result: ActionResult[] };
  stop: { params: { names: string[]; wait: boolean }; result: ActionResult[] };
  restart: { params: { names: string[]; wait: boolean }; result: ActionResult[] };
  signal: { params: { signal: string; names: string[] }; result: ActionResult[] };
  pid: {
    params: { names: string[] };
    result: { daemon: number; instances: { name: string; pid: number | null }[] };
  };
  reload: { params: Record<string, never>; result: ReloadChanges };
  shutdown: { params: Record<string, never>; result: { pid: number } };
  log: {
    /** `limit` null: `defaultLogLimit(follow)`; 0 (only with follow): no history. */
    params: { names: string[]; limit: number | null; sinceMs: number | null; follow: boolean };
    result: LogRow[];
  };
  /** The end of an instance's stdout (or stderr) file; with follow, then what is appended. */
  tail: {
    params: { name: string; stderr: boolean; bytes: number; follow: boolean };
    result: { name: string; file: string; text: string };
  };
  /** Programs and their instance counts, for name completion. */
  names: {
    params: Record<string, never>;
    result: { programs: { name: string; numprocs: number }[] };
  };
  /** Ends a stream started by the request `id`. */
  cancel: { params: { id: number }; result: { cancelled: boolean } };
  /** Sends a test mail through the email section's server now (`tm mail test`). */
  testmail: {
    params: Record<string, never>;
    result: { to: string[]; response: string; rejected: string[] };
  };
};
export type Method = keyof Methods;
export type ParamsOf<M extends Method> = Methods[M]['params'];
export type ResultOf<M extends Method> = Methods[M]['result'];

export type WireError = { code: string; message: string; hint?: string };

export type Request = { id: number; method: string; params: Record<string, unknown> };
export type ServerFrame =
  | { id: number; result: unknown }
  | { id: number | null; error: WireError }
  | { id: number; event: unknown }
  | { id: number; end: true };

const badParams = (message: string) => new TaskmasterError('BAD_PARAMS', message);

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);

function names(p: Obj, method: string, required: boolean): string[] {
  const v = p.names ?? (required ? undefined : []);
  if (!Array.isArray(v) || !v.every((n) => typeof n === 'string' && n.length > 0)) {
    throw badParams(`${method}: params.names must be a list of names like web:0, web or all`);
  }
  if (required && v.length === 0) throw badParams(`${method}: name at least one instance`);
  return v as string[];
}

function optionalNumber(p: Obj, key: string, method: string): number | null {
  const v = p[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw badParams(`${method}: params.${key} must be a number`);
  }
  return v;
}

function bool(p: Obj, key: string, fallback: boolean, method: string): boolean {
  const v = p[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'boolean') throw badParams(`${method}: params.${key} must be true or false`);
  return v;
}

const none = () => ({}) as Record<string, never>;

function limitOf(p: Obj, follow: boolean): number {
  const limit = optionalNumber(p, 'limit', 'log') ?? defaultLogLimit(follow);
  // no history at all makes sense only when new events follow
  const min = follow ? 0 : 1;
  if (!Number.isInteger(limit) || limit < min || limit > LOG_MAX_LIMIT) {
    const zero = follow ? '' : ' (0, for no history, only with follow)';
    throw badParams(
      `log: params.limit must be a whole number from ${min} to ${LOG_MAX_LIMIT}${zero}`,
    );
  }
  return limit;
}

function clientOf(p: Obj): { client?: string } {
  const v = p.client;
  if (v === undefined || v === null) return {};
  // a name with control characters would break the lines of `tm log`
  if (
    typeof v !== 'string' ||
    v.length === 0 ||
    v.length > CLIENT_NAME_MAX_LENGTH ||
    /\p{Cc}/u.test(v)
  ) {
    throw badParams(
      `hello: params.client must be a name like "tm 0.1.0": 1 to ${CLIENT_NAME_MAX_LENGTH} characters, no control characters`,
    );
  }
  return { client: v };
}

/** Per method: the params as the handler sees them, or BAD_PARAMS saying what is wrong. */
export const PARAMS: { [M in Method]: (p: Obj) => ParamsOf<M> } = {
  hello: (p) => {
    if (typeof p.version !== 'number') throw badParams('hello: params.version must be a number');
    if (typeof p.token !== 'string') throw badParams('hello: params.token must be a string');
    return { version: p.version, token: p.token, ...clientOf(p) };
  },
  status: (p) => ({ names: names(p, 'status', false) }),
  start: (p) => ({ names: names(p, 'start', true), wait: bool(p, 'wait', true, 'start') }),
  stop: (p) => ({ names: names(p, 'stop', true), wait: bool(p, 'wait', true, 'stop') }),
  restart: (p) => ({ names: names(p, 'restart', true), wait: bool(p, 'wait', true, 'restart') }),
  signal: (p) => {
    if (typeof p.signal !== 'string' || p.signal === '') {
      throw badParams('signal: params.signal must be a signal name like HUP or SIGUSR1');
    }
    return { signal: p.signal, names: names(p, 'signal', true) };
  },
  pid: (p) => ({ names: names(p, 'pid', false) }),
  reload: none,
  shutdown: none,
  log: (p) => {
    const follow = bool(p, 'follow', false, 'log');
    return {
      names: names(p, 'log', false),
      limit: limitOf(p, follow),
      sinceMs: optionalNumber(p, 'sinceMs', 'log'),
      follow,
    };
  },
  tail: (p) => {
    if (typeof p.name !== 'string' || p.name === '') {
      throw badParams('tail: params.name must be one instance, like web:0');
    }
    const bytes = optionalNumber(p, 'bytes', 'tail') ?? 1600;
    if (bytes < 0 || bytes > TAIL_MAX_BYTES) {
      throw badParams(`tail: params.bytes must be from 0 to ${TAIL_MAX_BYTES}`);
    }
    return {
      name: p.name,
      stderr: bool(p, 'stderr', false, 'tail'),
      bytes,
      follow: bool(p, 'follow', false, 'tail'),
    };
  },
  names: none,
  cancel: (p) => {
    if (typeof p.id !== 'number') throw badParams('cancel: params.id must be a request id');
    return { id: p.id };
  },
  testmail: none,
};

export function isMethod(m: string): m is Method {
  return Object.hasOwn(PARAMS, m);
}

/** A decoded body as a request, or a typed error (BAD_FRAME) saying why it is not one. */
export function parseRequest(body: unknown): Request {
  if (!isObj(body)) throw new TaskmasterError('BAD_FRAME', 'a request must be a map');
  const { id, method, params } = body;
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0) {
    throw new TaskmasterError('BAD_FRAME', 'a request needs an id: a whole number >= 0');
  }
  if (typeof method !== 'string') {
    throw new TaskmasterError('BAD_FRAME', 'a request needs a method name');
  }
  if (params !== undefined && !isObj(params)) {
    throw new TaskmasterError('BAD_FRAME', 'a request params must be a map');
  }
  return { id, method, params: params ?? {} };
}

/** A decoded body as a server frame (client side), or null if it is not one. */
export function parseServerFrame(body: unknown): ServerFrame | null {
  if (!isObj(body)) return null;
  const { id } = body;
  if (!(typeof id === 'number' || (id === null && 'error' in body))) return null;
  if ('error' in body) {
    const e = body.error;
    if (!isObj(e) || typeof e.code !== 'string' || typeof e.message !== 'string') return null;
    const error: WireError = { code: e.code, message: e.message };
    if (typeof e.hint === 'string') error.hint = e.hint;
    return { id, error };
  }
  if ('result' in body) return { id: id as number, result: body.result };
  if ('event' in body) return { id: id as number, event: body.event };
  if (body.end === true) return { id: id as number, end: true };
  return null;
}

/** An error as it goes on the wire (vscode-jsonrpc's ResponseError shape). */
export function toWireError(error: TaskmasterError): WireError {
  const wire: WireError = { code: error.code, message: error.message };
  if (error.hint !== null) wire.hint = error.hint;
  return wire;
}

/** The error a client rebuilds; an unknown code keeps its message (and is INTERNAL here). */
export function fromWireError(e: WireError): TaskmasterError {
  const code = (ERROR_CODES as readonly string[]).includes(e.code)
    ? (e.code as ErrorCode)
    : 'INTERNAL';
  return new TaskmasterError(code, e.message, e.hint === undefined ? {} : { hint: e.hint });
}
