import { connect, type Socket } from 'node:net';
import { TaskmasterError } from '../domain/errors.js';
import { encodeFrame, FrameDecoder } from './frame.js';
import {
  fromWireError,
  MAX_FRAME_BYTES,
  parseServerFrame,
  PROTOCOL_VERSION,
  type HelloResult,
  type Method,
  type ParamsOf,
  type ResultOf,
} from './protocol.js';

export type Endpoint = { host: string; port: number };

type Pending = {
  resolve: (result: unknown) => void;
  reject: (error: TaskmasterError) => void;
  onEvent?: (event: unknown) => void;
  onEnd?: (error: TaskmasterError | null) => void;
};

export type Subscription<R> = {
  /** The first reply (the history, for `log -f`). */
  result: Promise<R>;
  /** Settles when the stream ends: cancelled, ended by the daemon, or the connection lost. */
  done: Promise<void>;
  cancel: () => Promise<void>;
};

/**
 * The client side of the wire: one TCP connection, authenticated once with `hello`, carrying
 * any number of requests (matched to replies by id) and streams.
 */
export class RpcConnection {
  private readonly decoder = new FrameDecoder(MAX_FRAME_BYTES);
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closedWith: TaskmasterError | null = null;
  private closedByUs = false;
  readonly hello: Promise<HelloResult>;
  /** Resolves when the daemon closes the connection (after `shutdown`, say). */
  readonly closed: Promise<void>;

  private constructor(
    private readonly socket: Socket,
    readonly endpoint: Endpoint,
    token: string,
    client: string | null,
  ) {
    let markClosed: () => void = () => {};
    this.closed = new Promise((resolve) => (markClosed = resolve));
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', () => {});
    socket.on('close', () => {
      const error =
        this.closedWith ??
        new TaskmasterError(
          'UNREACHABLE',
          `taskmasterd at ${where(endpoint)} closed the connection`,
        );
      this.closedWith = error;
      for (const p of this.pending.values()) {
        p.reject(error);
        // a stream tm itself closed has simply ended
        p.onEnd?.(this.closedByUs ? null : error);
      }
      this.pending.clear();
      markClosed();
    });
    this.hello = this.call('hello', {
      version: PROTOCOL_VERSION,
      token,
      ...(client === null ? {} : { client }),
    });
  }

  /**
   * Connects and authenticates; UNREACHABLE with a hint when nothing listens there. `client` is
   * the name the daemon writes beside each action asked on this connection (`tm 0.1.0`).
   */
  static async open(
    endpoint: Endpoint,
    token: string,
    timeoutMs = 5000,
    client: string | null = null,
  ): Promise<RpcConnection> {
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = connect({ host: endpoint.host, port: endpoint.port });
      const timer = setTimeout(() => {
        s.destroy();
        reject(unreachable(endpoint, `no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      s.once('connect', () => {
        clearTimeout(timer);
        resolve(s);
      });
      s.once('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(unreachable(endpoint, describeErrno(error)));
      });
    });
    socket.setNoDelay(true);
    const connection = new RpcConnection(socket, endpoint, token, client);
    // something that accepts the connection but never answers is not a daemon to wait for
    const timer = setTimeout(() => {
      connection.closedWith = unreachable(endpoint, `no hello reply within ${timeoutMs} ms`);
      socket.destroy();
    }, timeoutMs);
    try {
      await connection.hello;
    } finally {
      clearTimeout(timer);
    }
    return connection;
  }

  call<M extends Method>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>> {
    return new Promise((resolve, reject) => {
      const id = this.send(method, params, { resolve: resolve as (r: unknown) => void, reject });
      if (id === null) reject(this.closedWith!);
    });
  }

  /** A request whose reply is followed by events until cancelled (`log -f`). */
  subscribe<M extends Method>(
    method: M,
    params: ParamsOf<M>,
    onEvent: (event: unknown) => void,
  ): Subscription<ResultOf<M>> {
    let resolveResult!: (r: ResultOf<M>) => void;
    let rejectResult!: (e: TaskmasterError) => void;
    const result = new Promise<ResultOf<M>>((res, rej) => {
      resolveResult = res;
      rejectResult = rej;
    });
    let endStream!: (error: TaskmasterError | null) => void;
    const done = new Promise<void>((res, rej) => {
      endStream = (error) => (error === null ? res() : rej(error));
    });
    const id = this.send(method, params, {
      resolve: resolveResult as (r: unknown) => void,
      reject: rejectResult,
      onEvent,
      onEnd: endStream,
    });
    if (id === null) {
      rejectResult(this.closedWith!);
      endStream(this.closedWith);
    }
    return {
      result,
      done,
      cancel: async () => {
        if (id === null || !this.pending.has(id)) return;
        await this.call('cancel', { id });
      },
    };
  }

  /** Closed, by either side: a new connection is needed. */
  get isClosed(): boolean {
    return this.closedWith !== null || this.socket.destroyed;
  }

  /** Why the connection ended (IDLE_TIMEOUT: the daemon closed it for being idle); null while open. */
  get closeReason(): TaskmasterError | null {
    return this.closedWith;
  }

  /** Closed by `close()`, not by the daemon or the network. */
  get isClosedByUs(): boolean {
    return this.closedByUs;
  }

  close(): void {
    this.closedByUs = true;
    this.closedWith ??= new TaskmasterError('UNREACHABLE', 'connection closed by tm');
    this.socket.end();
  }

  private send(method: string, params: unknown, pending: Pending): number | null {
    if (this.closedWith !== null || this.socket.destroyed) return null;
    const id = this.nextId++;
    this.pending.set(id, pending);
    this.socket.write(encodeFrame({ id, method, params }));
    return id;
  }

  private receive(chunk: Buffer): void {
    let frames;
    try {
      frames = this.decoder.push(chunk);
    } catch (error) {
      this.closedWith = error as TaskmasterError;
      this.socket.destroy();
      return;
    }
    for (const decoded of frames) {
      const frame = decoded.ok ? parseServerFrame(decoded.body) : null;
      if (frame === null) {
        this.closedWith = new TaskmasterError(
          'BAD_FRAME',
          'the daemon sent a frame tm cannot read',
        );
        this.socket.destroy();
        return;
      }
      if (frame.id === null) {
        // an error about no request in particular (a frame of ours it could not read, or why
        // the daemon closes the connection): the connection is done with
        if ('error' in frame) this.closedWith = fromWireError(frame.error);
        continue;
      }
      const p = this.pending.get(frame.id);
      if (p === undefined) continue;
      if ('result' in frame) {
        if (p.onEvent === undefined) this.pending.delete(frame.id);
        p.resolve(frame.result);
      } else if ('error' in frame) {
        this.pending.delete(frame.id);
        const error = fromWireError(frame.error);
        p.reject(error);
        p.onEnd?.(error);
      } else if ('event' in frame) {
        p.onEvent?.(frame.event);
      } else {
        this.pending.delete(frame.id);
        p.onEnd?.(null);
      }
    }
  }
}

function where(e: Endpoint): string {
  return e.host.includes(':') ? `[${e.host}]:${e.port}` : `${e.host}:${e.port}`;
}

function unreachable(e: Endpoint, why: string): TaskmasterError {
  return new TaskmasterError('UNREACHABLE', `cannot reach taskmasterd at ${where(e)}: ${why}`, {
    hint: 'start it with taskmasterd -c config.yaml',
  });
}

function describeErrno(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
      return 'no such host';
    case 'EHOSTUNREACH':
      return 'host unreachable';
    case 'ETIMEDOUT':
      return 'timed out';
    default:
      return error.code ?? error.message;
  }
}
