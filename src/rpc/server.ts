import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Observable, Subscription } from 'rxjs';
import { TaskmasterError } from '../domain/errors.js';
import { tokenMatches } from './auth.js';
import { encodeFrame, FrameDecoder } from './frame.js';
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

/** A result followed by a stream of events, until the client cancels or disconnects. */
export type Streamed<R> = { initial: R; events: Observable<unknown> };

export type Handler<M extends Method> = (
  params: ParamsOf<M>,
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
  /** Seconds a new connection has to say hello with the right token. */
  helloTimeoutMs?: number;
  maxConnections?: number;
  /** Bytes queued to a client that does not read, past which it is dropped. */
  maxQueuedBytes?: number;
};

export const stream = <R>(initial: R, events: Observable<unknown>): Streamed<R> => ({
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
  private readonly connections = new Set<Connection>();
  private readonly options: Required<RpcServerOptions>;

  constructor(options: RpcServerOptions) {
    this.options = {
      helloTimeoutMs: 5000,
      maxConnections: 512,
      maxQueuedBytes: 8 * 1024 * 1024,
      ...options,
    };
    this.server = createServer((socket) => this.accept(socket));
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
    for (const connection of this.connections) connection.close();
  }

  /** Streams being followed, over all connections (a client that left has none). */
  get streamCount(): number {
    let n = 0;
    for (const connection of this.connections) n += connection.streamCount;
    return n;
  }

  private accept(socket: Socket): void {
    const peer = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    if (this.connections.size >= this.options.maxConnections) {
      this.options.log.warn(`refused client ${peer}: ${this.connections.size} connections already`);
      socket.destroy();
      return;
    }
    const connection = new Connection(socket, peer, this.options);
    this.connections.add(connection);
    connection.start(() => this.connections.delete(connection));
  }
}

class Connection {
  private readonly decoder = new FrameDecoder(MAX_FRAME_BYTES);
  private isAuthenticated = false;
  private readonly streams = new Map<number, Subscription>();
  private helloTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly socket: Socket,
    private readonly peer: string,
    private readonly options: Required<RpcServerOptions>,
  ) {}

  get streamCount(): number {
    return this.streams.size;
  }

  close(): void {
    for (const [id, sub] of this.streams) {
      sub.unsubscribe();
      this.send({ id, end: true });
    }
    this.streams.clear();
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }

  start(onClose: () => void): void {
    const { socket } = this;
    socket.setNoDelay(true);
    // a peer that vanished without a FIN is noticed and forgotten
    socket.setKeepAlive(true, 30_000);
    this.helloTimer = setTimeout(() => {
      this.options.log.warn(
        `refused client ${this.peer}: no hello within ${this.options.helloTimeoutMs} ms`,
      );
      socket.destroy();
    }, this.options.helloTimeoutMs);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    // a reset or a broken pipe only ends this client
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      if (this.helloTimer !== null) clearTimeout(this.helloTimer);
      for (const sub of this.streams.values()) sub.unsubscribe();
      this.streams.clear();
      onClose();
    });
  }

  private receive(chunk: Buffer): void {
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
      if (this.socket.destroyed) return;
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
    try {
      const request = parseRequest(body);
      id = request.id;
      if (!isMethod(request.method)) {
        throw new TaskmasterError('UNKNOWN_METHOD', `unknown method: ${request.method}`, {
          hint: 'see docs/protocol.md for the methods',
        });
      }
      if (!this.isAuthenticated && request.method !== 'hello') {
        this.refuse('did not say hello first');
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
      if (typed.code === 'UNAUTHORIZED' || typed.code === 'VERSION_MISMATCH') this.socket.end();
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
        const handler = this.options.handlers[method] as (p: unknown) => unknown;
        const parse = PARAMS[method] as (p: Record<string, unknown>) => unknown;
        return handler(parse(raw));
      }
    }
  }

  private hello(params: ParamsOf<'hello'>): ResultOf<'hello'> {
    if (!tokenMatches(this.options.token, params.token)) {
      this.refuse('wrong token');
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
    this.isAuthenticated = true;
    if (this.helloTimer !== null) clearTimeout(this.helloTimer);
    this.helloTimer = null;
    return { version: PROTOCOL_VERSION, pid: process.pid, config: this.options.configFile };
  }

  private follow(id: number, events: Observable<unknown>): void {
    const sub = events.subscribe({
      next: (event) => this.send({ id, event }),
      error: (error: unknown) => {
        this.streams.delete(id);
        const typed = error instanceof TaskmasterError ? error : this.internal(error as Error);
        this.send({ id, error: toWireError(typed) });
      },
      complete: () => {
        this.streams.delete(id);
        this.send({ id, end: true });
      },
    });
    if (!sub.closed) this.streams.set(id, sub);
  }

  private send(frame: unknown): void {
    const { socket } = this;
    if (socket.destroyed || !socket.writable) return;
    // a client that does not read its stream is dropped before it costs the daemon memory
    if (socket.writableLength > this.options.maxQueuedBytes) {
      this.options.log.warn(`dropped client ${this.peer}: it stopped reading`);
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

  private refuse(why: string): void {
    this.options.log.warn(`refused client ${this.peer}: ${why}`);
  }

  private internal(error: Error): TaskmasterError {
    this.options.log.error(`internal error serving ${this.peer}: ${error.stack ?? String(error)}`);
    return new TaskmasterError('INTERNAL', `internal error: ${error.message}`, {
      hint: `the daemon log (${this.options.logFile}) has the details`,
    });
  }
}
