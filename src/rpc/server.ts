import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { Subject, type Observable, type Subscription } from 'rxjs';
import { TaskmasterError, type ErrorCode } from '../domain/errors.js';
import { tokenMatches } from './auth.js';
import { fdReserve, fdUse } from './fd-budget.js';
import { encodeFrame, FrameDecoder } from './frame.js';
import { ThrottledLog } from './throttled-log.js';
import {
  isMethod,
  MAX_FRAME_BYTES,
  PARAMS,
  parseRequest,
  PROTOCOL_VERSION,
  toWireError,
  type Method,
  type ParamsOf,
  type ResultOf,
} from './protocol.js';

/**
 * What a paced stream sees of its client: whether the connection can take another event now,
 * and when it has drained. A source that reads only while `hasRoom()` costs the daemon no
 * memory however slowly the client reads.
 */
export type Flow = {
  hasRoom: () => boolean;
  drained$: Observable<void>;
};

/**
 * A result followed by a stream of events, until the client cancels or disconnects. `events`
 * is either pushed as it comes (log -f: a client that stops reading is dropped once
 * `maxQueuedBytes` wait for it), or made from the client's `Flow` (tail -f: read only when the
 * client can take it).
 */
export type Streamed<R> = {
  initial: R;
  events: Observable<unknown> | ((flow: Flow) => Observable<unknown>);
};

/**
 * Who asks, as every front end can tell it: the peer's `address:port` and the name the client
 * gave itself (`tm 0.1.0`; null when it gave none). Plain data, so that another endpoint than
 * this one can call the same handlers and leave the same audit rows.
 */
export type RequestContext = { peer: string; clientName: string | null };

export type Handler<M extends Method> = (
  params: ParamsOf<M>,
  context: RequestContext,
) => ResultOf<M> | Streamed<ResultOf<M>> | Promise<ResultOf<M> | Streamed<ResultOf<M>>>;

/** Everything but the connection's own methods (hello, cancel), supplied by the daemon. */
export type Handlers = { [M in Exclude<Method, 'hello' | 'cancel'>]: Handler<M> };

export type ServerLog = {
  info: (l: string) => void;
  warn: (l: string) => void;
  error: (l: string) => void;
};

export type RpcServerOptions = {
  handlers: Handlers;
  token: string;
  /** Told to every client in the hello reply: the config the daemon runs. */
  configFile: string;
  /** Named in INTERNAL errors, where the details are. */
  logFile: string;
  log: ServerLog;
} & Partial<RpcLimits>;

/** The limits of the server (docs/protocol.md § Session has them with their defaults). */
export type RpcLimits = {
  /** How long a new connection has to say hello with the right token. */
  helloTimeoutMs: number;
  /**
   * Connections that have not said hello yet. When they are all taken, the one waiting longest
   * is closed to make room: a client that is let in says hello at once, so the oldest is the
   * likeliest to be a socket that never will.
   */
  maxUnauthenticated: number;
  /** How long a connection just accepted is spared when the waiting ones are too many. */
  helloGraceMs: number;
  /** Authenticated connections; the next hello is refused with TOO_MANY_CLIENTS. */
  maxConnections: number;
  /** How long an authenticated connection may be idle (no request in flight, no stream). */
  idleTimeoutMs: number;
  /** File descriptors kept for the daemon: a client that would leave fewer free is refused. */
  fdReserve: number;
  /** Bytes queued to a client that does not read, past which it is dropped. */
  maxQueuedBytes: number;
  /** Bytes queued to a client past which paced streams wait for it to drain. */
  streamHighWaterBytes: number;
  /** Refusals after the first are counted and logged once per this interval. */
  refusalLogIntervalMs: number;
};

export const DEFAULT_LIMITS: RpcLimits = {
  helloTimeoutMs: 5000,
  maxUnauthenticated: 32,
  helloGraceMs: 100,
  maxConnections: 256,
  idleTimeoutMs: 10 * 60_000,
  fdReserve: 32,
  maxQueuedBytes: 8 * 1024 * 1024,
  streamHighWaterBytes: 256 * 1024,
  refusalLogIntervalMs: 10_000,
};

export const stream = <R>(initial: R, events: Streamed<R>['events']): Streamed<R> => ({
  initial,
  events,
});

function isStreamed<R>(x: R | Streamed<R>): x is Streamed<R> {
  return typeof x === 'object' && x !== null && 'events' in x && 'initial' in x;
}

/**
 * The daemon's RPC endpoint. It knows nothing of the daemon: it frames, authenticates,
 * validates, dispatches to `handlers` and answers. Whatever a client sends, the worst it gets is
 * a typed error and, when the stream can no longer be framed, a closed connection; every other
 * client is served meanwhile.
 */
export class RpcServer {
  private readonly server: Server;
  /** Connections waiting for their hello, oldest first. */
  private readonly waiting = new Set<Connection>();
  private readonly clients = new Set<Connection>();
  private readonly options: Required<RpcServerOptions>;
  private readonly refusals: ThrottledLog;
  private readonly acceptErrors: ThrottledLog;

  constructor(options: RpcServerOptions) {
    this.options = { ...DEFAULT_LIMITS, ...options };
    const { warn } = this.options.log;
    const interval = this.options.refusalLogIntervalMs;
    this.refusals = new ThrottledLog(warn, interval, (n) => `refused ${n} more clients`);
    this.acceptErrors = new ThrottledLog(warn, interval, (n) => `${n} more failed accepts`);
    this.server = createServer((socket) => this.accept(socket));
    // libuv reports a failed accept() (EMFILE, ENFILE) as an 'error' of the server: without a
    // listener it would be an uncaught exception, and the daemon would shut down over it
    this.server.on('error', (error: NodeJS.ErrnoException) => {
      // before it listens, the error is listen()'s to reject with
      if (!this.server.listening) return;
      const code = error.code ?? error.message;
      this.acceptErrors.say(`cannot accept a connection: ${code}`, code);
    });
  }

  listen(host: string, port: number): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  /** Stops accepting connections; those open are left to `closeAll`. */
  stopListening(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.server.listening) return resolve();
      this.server.close(() => resolve());
    });
  }

  /**
   * Ends every connection, each of its streams first with an end frame; one whose peer does not
   * close its side within a second is cut.
   */
  closeAll(): void {
    for (const connection of [...this.waiting, ...this.clients]) connection.close();
    this.refusals.flush();
    this.acceptErrors.flush();
  }

  /** Streams being followed, over all connections (a client that left has none). */
  get streamCount(): number {
    let n = 0;
    for (const connection of this.clients) n += connection.streamCount;
    return n;
  }

  private accept(socket: Socket): void {
    const host = socket.remoteAddress ?? '?';
    // an IPv6 address has colons of its own: bracketed, as in a URL
    const peer = `${host.includes(':') ? `[${host}]` : host}:${socket.remotePort ?? '?'}`;
    const use = fdUse();
    if (use !== null) {
      const reserve = fdReserve(use.limit, this.options.fdReserve);
      const free = use.limit - use.open;
      if (free < reserve) {
        const why = `${free} file descriptors left of ${use.limit}, ${reserve} kept for the daemon`;
        this.refusals.say(`refused client ${peer}: ${why}`, 'for want of file descriptors', host);
        refuse(socket, 'TOO_MANY_CLIENTS', `taskmasterd refuses new clients: ${why}`);
        return;
      }
    }
    const connection: Connection = new Connection(socket, peer, this.options, {
      refused: (why, kind) => this.refusals.say(`refused client ${peer}: ${why}`, kind, host),
      admit: () => this.admit(connection),
      closed: () => {
        this.waiting.delete(connection);
        this.clients.delete(connection);
      },
    });
    this.waiting.add(connection);
    connection.start();
    // a client that is let in sends its hello with the connect: after `helloGraceMs`, and the
    // poll phase of that turn of the event loop (the immediate runs after it), it has been read
    setTimeout(() => {
      setImmediate(() => {
        connection.hasHadChance = true;
        this.makeRoom();
      });
    }, this.options.helloGraceMs).unref();
  }

  /**
   * Over `maxUnauthenticated` waiting: those waiting longest, among those that have had their
   * chance to say hello, are closed. One just accepted is spared until then, or a flood of
   * connections would push out the real client among them before its hello is even read: the
   * number waiting is at most `maxUnauthenticated` and those accepted in the last
   * `helloGraceMs`.
   */
  private makeRoom(): void {
    const max = this.options.maxUnauthenticated;
    for (const connection of this.waiting) {
      if (this.waiting.size <= max) return;
      if (!connection.hasHadChance) continue;
      this.waiting.delete(connection);
      connection.evict(`no hello yet, the longest waiting of ${max} connections`);
    }
  }

  /** After a good hello: a place among the authenticated clients, or why there is none. */
  private admit(connection: Connection): TaskmasterError | null {
    if (this.clients.size >= this.options.maxConnections) {
      return new TaskmasterError(
        'TOO_MANY_CLIENTS',
        `taskmasterd serves ${this.options.maxConnections} clients already`,
        { hint: 'close the tm shells and scripts that are connected, then try again' },
      );
    }
    this.waiting.delete(connection);
    this.clients.add(connection);
    return null;
  }
}

/** What a connection tells its server. */
type ConnectionEvents = {
  refused: (why: string, kind: string) => void;
  admit: () => TaskmasterError | null;
  closed: () => void;
};

/**
 * Closes a socket at once, with a typed error it may still read: a client refused for want of
 * descriptors must not hold one a second longer (the write usually completes in the call).
 */
function refuse(socket: Socket, code: ErrorCode, message: string): void {
  socket.on('error', () => {});
  socket.write(encodeFrame({ id: null, error: toWireError(new TaskmasterError(code, message)) }));
  socket.destroy();
}

class Connection {
  /** `helloGraceMs` and a poll phase have passed since it was accepted: a hello would be read. */
  hasHadChance = false;
  private readonly decoder = new FrameDecoder(MAX_FRAME_BYTES);
  private isAuthenticated = false;
  /** What the client called itself in its hello. */
  private clientName: string | null = null;
  /** Closing by the daemon's decision (idle, evicted, shutdown): what comes in is not read. */
  private isClosing = false;
  private readonly streams = new Map<number, Subscription>();
  private helloTimer: NodeJS.Timeout | null = null;
  private idleTimer: NodeJS.Timeout | null = null;
  /** Requests read whose reply is not written yet. */
  private inFlight = 0;
  private readonly drained$ = new Subject<void>();
  private readonly flow: Flow;

  constructor(
    private readonly socket: Socket,
    private readonly peer: string,
    private readonly options: Required<RpcServerOptions>,
    private readonly events: ConnectionEvents,
  ) {
    this.flow = {
      hasRoom: () => !socket.destroyed && socket.writableLength < this.options.streamHighWaterBytes,
      drained$: this.drained$.asObservable(),
    };
  }

  get streamCount(): number {
    return this.streams.size;
  }

  close(): void {
    this.isClosing = true;
    this.clearTimers();
    for (const [id, sub] of this.streams) {
      sub.unsubscribe();
      this.send({ id, end: true });
    }
    this.streams.clear();
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }

  /** Closed to make room for a newer connection: it had its chance to say hello. */
  evict(why: string): void {
    this.events.refused(why, 'evicted before hello');
    refuse(this.socket, 'UNAUTHORIZED', `closed before hello: ${why}`);
  }

  start(): void {
    const { socket } = this;
    socket.setNoDelay(true);
    // a peer that vanished without a FIN is noticed and forgotten
    socket.setKeepAlive(true, 30_000);
    this.helloTimer = setTimeout(() => {
      this.events.refused(`no hello within ${this.options.helloTimeoutMs} ms`, 'no hello in time');
      socket.destroy();
    }, this.options.helloTimeoutMs);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('drain', () => this.drained$.next());
    // a reset or a broken pipe only ends this client
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      this.clearTimers();
      for (const sub of this.streams.values()) sub.unsubscribe();
      this.streams.clear();
      this.drained$.complete();
      this.events.closed();
    });
  }

  private clearTimers(): void {
    if (this.helloTimer !== null) clearTimeout(this.helloTimer);
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    this.helloTimer = null;
    this.idleTimer = null;
  }

  /**
   * Starts the idle clock when nothing is going on: a connection with a request in flight or a
   * stream open is never idle, however long it is quiet.
   */
  private checkIdle(): void {
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    if (!this.isAuthenticated || this.isClosing || this.inFlight > 0 || this.streams.size > 0) {
      return;
    }
    this.idleTimer = setTimeout(() => this.closeIdle(), this.options.idleTimeoutMs);
    this.idleTimer.unref();
  }

  private closeIdle(): void {
    const after = duration(this.options.idleTimeoutMs);
    this.options.log.info(`closed client ${this.peer}: idle for ${after}`);
    // said first, so that a client (the tm shell) knows it was not lost and reconnects quietly
    const error = new TaskmasterError('IDLE_TIMEOUT', `closed after ${after} without a request`, {
      hint: 'connect again; tm does so at the next command',
    });
    this.send({ id: null, error: toWireError(error) });
    this.close();
  }

  private receive(chunk: Buffer): void {
    if (this.isClosing) return;
    let frames;
    try {
      frames = this.decoder.push(chunk);
    } catch (error) {
      // a length over the limit: the rest of the stream cannot be framed any more
      this.send({ id: null, error: toWireError(error as TaskmasterError) });
      this.socket.end();
      this.socket.pause();
      return;
    }
    for (const frame of frames) {
      if (this.socket.destroyed || this.isClosing) return;
      if (!frame.ok) {
        this.send({ id: null, error: toWireError(frame.error) });
        if (!this.isAuthenticated) this.socket.end();
        continue;
      }
      void this.handle(frame.body);
    }
  }

  private async handle(body: unknown): Promise<void> {
    let id: number | null = null;
    this.inFlight++;
    this.checkIdle();
    try {
      const request = parseRequest(body);
      id = request.id;
      if (!isMethod(request.method)) {
        throw new TaskmasterError('UNKNOWN_METHOD', `unknown method: ${request.method}`, {
          hint: 'see docs/protocol.md for the methods',
        });
      }
      if (!this.isAuthenticated && request.method !== 'hello') {
        this.events.refused('did not say hello first', 'no hello first');
        throw new TaskmasterError('UNAUTHORIZED', 'say hello with the token first');
      }
      if (this.streams.has(request.id)) {
        throw new TaskmasterError('BAD_FRAME', `request id ${request.id} is in use by a stream`, {
          hint: 'give each request of a connection its own id',
        });
      }
      const result = await this.dispatch(request.method, request.params);
      if (isStreamed(result)) {
        this.send({ id: request.id, result: result.initial });
        this.follow(request.id, result.events);
      } else {
        this.send({ id: request.id, result });
      }
    } catch (error) {
      const typed = error instanceof TaskmasterError ? error : this.internal(error as Error);
      this.send({ id, error: toWireError(typed) });
      if (['UNAUTHORIZED', 'VERSION_MISMATCH', 'TOO_MANY_CLIENTS'].includes(typed.code)) {
        this.isClosing = true;
        this.socket.end();
      }
    } finally {
      this.inFlight--;
      this.checkIdle();
    }
  }

  private dispatch(method: Method, raw: Record<string, unknown>): unknown {
    switch (method) {
      case 'hello':
        return this.hello(PARAMS.hello(raw));
      case 'cancel': {
        const { id: target } = PARAMS.cancel(raw);
        const sub = this.streams.get(target);
        sub?.unsubscribe();
        this.streams.delete(target);
        if (sub !== undefined) this.send({ id: target, end: true });
        return { cancelled: sub !== undefined };
      }
      default: {
        // one generic call for every handler: each PARAMS entry returns what its handler takes
        const handler = this.options.handlers[method] as (
          p: unknown,
          context: RequestContext,
        ) => unknown;
        const parse = PARAMS[method] as (p: Record<string, unknown>) => unknown;
        return handler(parse(raw), { peer: this.peer, clientName: this.clientName });
      }
    }
  }

  private hello(params: ParamsOf<'hello'>): ResultOf<'hello'> {
    if (!tokenMatches(this.options.token, params.token)) {
      this.events.refused('wrong token', 'wrong token');
      throw new TaskmasterError('UNAUTHORIZED', 'wrong token', {
        hint: "tm reads the token from server.tokenfile of the config: use the daemon's config (tm -c FILE)",
      });
    }
    if (params.version !== PROTOCOL_VERSION) {
      throw new TaskmasterError(
        'VERSION_MISMATCH',
        `protocol version ${params.version} is not spoken here (taskmasterd speaks ${PROTOCOL_VERSION})`,
        { hint: 'use the tm that came with this taskmasterd' },
      );
    }
    this.clientName = params.client ?? null;
    if (this.isAuthenticated) return this.helloResult();
    const full = this.events.admit();
    if (full !== null) {
      this.events.refused(full.message, 'over the limit of clients');
      throw full;
    }
    this.isAuthenticated = true;
    if (this.helloTimer !== null) clearTimeout(this.helloTimer);
    this.helloTimer = null;
    return this.helloResult();
  }

  private helloResult(): ResultOf<'hello'> {
    return { version: PROTOCOL_VERSION, pid: process.pid, config: this.options.configFile };
  }

  private follow(id: number, source: Streamed<unknown>['events']): void {
    const ended = () => {
      this.streams.delete(id);
      this.checkIdle();
    };
    let events: Observable<unknown>;
    try {
      events = typeof source === 'function' ? source(this.flow) : source;
    } catch (error) {
      const typed = error instanceof TaskmasterError ? error : this.internal(error as Error);
      this.send({ id, error: toWireError(typed) });
      return;
    }
    const sub = events.subscribe({
      next: (event) => this.send({ id, event }),
      error: (error: unknown) => {
        ended();
        const typed = error instanceof TaskmasterError ? error : this.internal(error as Error);
        this.send({ id, error: toWireError(typed) });
      },
      complete: () => {
        ended();
        this.send({ id, end: true });
      },
    });
    if (!sub.closed) this.streams.set(id, sub);
    this.checkIdle();
  }

  private send(frame: unknown): void {
    const { socket } = this;
    if (socket.destroyed || !socket.writable) return;
    // a client that does not read its stream is dropped before it costs the daemon memory
    if (socket.writableLength > this.options.maxQueuedBytes) {
      this.options.log.warn(
        `dropped client ${this.peer}: it stopped reading (${socket.writableLength} bytes queued for it)`,
      );
      socket.destroy();
      return;
    }
    let bytes = encodeFrame(frame);
    if (bytes.length - 4 > MAX_FRAME_BYTES) {
      // the peer would refuse it and lose the connection: it gets a typed error instead
      const id = (frame as { id?: number | null }).id ?? null;
      const error = new TaskmasterError(
        'INTERNAL',
        `reply of ${bytes.length - 4} bytes is over the frame limit`,
        {
          hint: 'ask for less (tm log --limit N, --since TIME)',
        },
      );
      bytes = encodeFrame({ id, error: toWireError(error) });
    }
    socket.write(bytes);
  }

  private internal(error: Error): TaskmasterError {
    this.options.log.error(`internal error serving ${this.peer}: ${error.stack ?? String(error)}`);
    return new TaskmasterError('INTERNAL', `internal error: ${error.message}`, {
      hint: `the daemon log (${this.options.logFile}) has the details`,
    });
  }
}

/** `10 min`, `90 s`, `250 ms`: a limit as a person reads it. */
function duration(ms: number): string {
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000} min`;
  if (ms >= 1000 && ms % 1000 === 0) return `${ms / 1000} s`;
  return `${ms} ms`;
}
