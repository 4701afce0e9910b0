import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { fromEvent, map, type Observable, type Subscription } from 'rxjs';
import type { XmlRpcSection } from '../config/xmlrpc.js';
import type { TailEvent } from '../rpc/protocol.js';
import type { Flow, RequestContext, ServerLog } from '../rpc/server.js';
import { ThrottledLog } from '../rpc/throttled-log.js';
import { basicAuthMatches, basicAuthUser } from './auth.js';
import { BadRequestError, encodeFault, encodeResponse, parseMethodCall } from './codec.js';
import { Fault, FAULTS } from './faults.js';
import { XmlRpcMethods } from './methods.js';
import type { XmlRpcPort } from './port.js';

/** The largest request body read; a bigger one gets 413 (Supervisor reads any size). */
export const MAX_REQUEST_BYTES = 2 * 1024 * 1024;
/** What a follower of /logtail gets first: Supervisor's tail_f_producer starts 1024 bytes back. */
const LOGTAIL_HEAD_BYTES = 1024;
/** Bytes queued to a /logtail client past which reading the file waits for it to drain. */
const STREAM_HIGH_WATER = 256 * 1024;

export type XmlRpcServerOptions = {
  section: XmlRpcSection;
  port: XmlRpcPort;
  log: ServerLog;
  /** Refusals after the first are counted and logged once per this interval. */
  refusalLogIntervalMs?: number;
};

/**
 * Supervisor's HTTP endpoint: XML-RPC on POST /RPC2, and the /logtail/NAME[/stdout|/stderr] and
 * /mainlogtail streams that `supervisorctl tail -f` and `maintail -f` read. Every request needs
 * the Basic auth of the section; a wrong one gets 401 and a (throttled) line in the daemon log.
 * Whatever a client sends, it gets a fault or an HTTP error; the daemon goes on.
 */
export class XmlRpcServer {
  private readonly server: Server;
  private readonly methods: XmlRpcMethods;
  private readonly refusals: ThrottledLog;
  private readonly streams = new Set<Subscription>();
  private readonly transitions: Subscription;
  private socketPath: string | null = null;

  constructor(private readonly options: XmlRpcServerOptions) {
    this.methods = new XmlRpcMethods(options.port);
    this.transitions = options.port.events$.subscribe((e) => this.methods.transition(e));
    this.refusals = new ThrottledLog(
      options.log.warn,
      options.refusalLogIntervalMs ?? 10_000,
      (n) => `xmlrpc: refused ${n} more requests`,
    );
    // supervisorctl's unix-socket client sends an empty Host
    this.server = createServer({ requireHostHeader: false }, (req, res) => {
      this.serve(req, res).catch((error: unknown) => this.internal(res, error));
    });
    this.server.headersTimeout = 10_000;
    this.server.requestTimeout = 30_000;
    this.server.maxConnections = 128;
    this.server.on('clientError', (_error, socket) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      else socket.destroy();
    });
  }

  /** Binds the address or socket of the section; says where, as `host:port` or the path. */
  async listen(): Promise<string> {
    const { listen } = this.options.section;
    if ('socket' in listen) {
      await clearStaleSocket(listen.socket);
      await this.bind(() => this.server.listen(listen.socket));
      this.socketPath = listen.socket;
      // the only way in without the network: none but the daemon's user may connect
      chmodSync(listen.socket, 0o600);
      return listen.socket;
    }
    await this.bind(() => this.server.listen(listen.port, listen.host));
    const a = this.server.address() as AddressInfo;
    return `${a.address.includes(':') ? `[${a.address}]` : a.address}:${a.port}`;
  }

  /** The TCP port bound (port 0 picks one), or null on a socket. */
  get boundPort(): number | null {
    const a = this.server.address();
    return typeof a === 'object' && a !== null ? a.port : null;
  }

  /** Stops listening, ends every stream and connection, removes the socket file. */
  async close(): Promise<void> {
    this.transitions.unsubscribe();
    for (const s of this.streams) s.unsubscribe();
    this.streams.clear();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
    this.refusals.flush();
    if (this.socketPath !== null) {
      try {
        unlinkSync(this.socketPath);
      } catch {
        // already gone: nothing to clean
      }
    }
  }

  private bind(listen: () => void): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.once('listening', () => {
        this.server.off('error', reject);
        resolve();
      });
      listen();
    });
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const peer = peerOf(req);
    const { username, password } = this.options.section;
    if (!basicAuthMatches(req.headers.authorization, username, password)) {
      const user = basicAuthUser(req.headers.authorization);
      const who = user === null ? 'no credentials' : `user ${JSON.stringify(user)}`;
      this.refusals.say(
        `xmlrpc: refused ${peer}: wrong username or password (${who})`,
        'refused',
        peer,
      );
      req.resume();
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="default"', 'Content-Length': 0 });
      res.end();
      return;
    }
    const path = decodeURIComponent((req.url ?? '/').split('?')[0]!);
    const context: RequestContext = { peer, clientName: 'xmlrpc' };
    if (path.startsWith('/RPC2')) return this.rpc(req, res, context);
    if (path.startsWith('/logtail/')) return this.logtail(req, res, path.slice('/logtail/'.length));
    if (path === '/mainlogtail' || path.startsWith('/mainlogtail/')) {
      return this.mainlogtail(req, res);
    }
    req.resume();
    plain(
      res,
      404,
      'not found: taskmasterd serves POST /RPC2, GET /logtail/NAME and /mainlogtail\n',
    );
  }

  private async rpc(req: IncomingMessage, res: ServerResponse, context: RequestContext) {
    if (req.method !== 'POST') {
      req.resume();
      return plain(res, 405, 'XML-RPC calls are POSTed\n', { Allow: 'POST' });
    }
    const body = await readBody(req, MAX_REQUEST_BYTES);
    if (body === null) {
      res.setHeader('Connection', 'close');
      return plain(res, 413, `request body over ${MAX_REQUEST_BYTES} bytes\n`);
    }
    let call;
    try {
      call = parseMethodCall(body);
    } catch (error) {
      if (!(error instanceof BadRequestError)) throw error;
      this.options.log.warn(`xmlrpc: bad request from ${context.peer}: ${error.message}`);
      return plain(res, 400, `${error.message}\n`);
    }
    let xml: string;
    try {
      xml = encodeResponse(await this.methods.call(call.methodName, call.params, context));
    } catch (error) {
      if (!(error instanceof Fault)) throw error;
      xml = encodeFault(error.code, error.message);
    }
    res.writeHead(200, { 'Content-Type': 'text/xml', 'Content-Length': Buffer.byteLength(xml) });
    res.end(xml);
  }

  /** `/logtail/web:0/stderr`: 404 for an unknown name or a file not there, as Supervisor. */
  private logtail(req: IncomingMessage, res: ServerResponse, rest: string) {
    req.resume();
    const slash = rest.indexOf('/');
    const name = slash < 0 ? rest : rest.slice(0, slash);
    const channel = slash < 0 ? 'stdout' : rest.slice(slash + 1);
    if (req.method !== 'GET' || (channel !== 'stdout' && channel !== 'stderr')) {
      return plain(res, 400, 'GET /logtail/NAME, /logtail/NAME/stdout or /logtail/NAME/stderr\n');
    }
    let started;
    try {
      started = this.methods.logtail(name, channel === 'stderr', LOGTAIL_HEAD_BYTES);
    } catch (error) {
      if (error instanceof Fault) return plain(res, 404, `${error.message}\n`);
      throw error;
    }
    this.stream(res, started.text, started.events);
  }

  private mainlogtail(req: IncomingMessage, res: ServerResponse) {
    req.resume();
    if (req.method !== 'GET') return plain(res, 400, 'GET /mainlogtail\n');
    const started = this.options.port.followLog(LOGTAIL_HEAD_BYTES);
    this.stream(res, started.text, started.events);
  }

  /** Chunked text until the client goes: read only as fast as it takes it. */
  private stream(
    res: ServerResponse,
    head: string,
    events: (flow: Flow) => Observable<TailEvent>,
  ): void {
    res.writeHead(200, {
      'Content-Type': 'text/plain;charset=utf-8',
      'X-Accel-Buffering': 'no',
      'Cache-Control': 'no-cache',
    });
    res.write(head);
    const flow: Flow = {
      hasRoom: () => res.writableLength < STREAM_HIGH_WATER,
      drained$: fromEvent(res, 'drain').pipe(map(() => undefined)),
    };
    const subscription = events(flow).subscribe({
      next: (e) => {
        if ('skipped' in e)
          res.write(`\n==> ${e.skipped} bytes skipped: the reader was too slow <==\n`);
        else res.write(e.text);
      },
      error: (error: unknown) => {
        this.options.log.warn(`xmlrpc: a log tail ended: ${String(error)}`);
        res.end();
      },
      complete: () => res.end(),
    });
    this.streams.add(subscription);
    res.on('close', () => {
      subscription.unsubscribe();
      this.streams.delete(subscription);
    });
  }

  /** A bug: the stack in the daemon log, a fault to the client, and the daemon goes on. */
  private internal(res: ServerResponse, error: unknown): void {
    this.options.log.error(`xmlrpc: internal error: ${(error as Error).stack ?? String(error)}`);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const xml = encodeFault(
      FAULTS.FAILED,
      'FAILED: internal error in taskmasterd (its log has the details)',
    );
    res.writeHead(200, { 'Content-Type': 'text/xml', 'Content-Length': Buffer.byteLength(xml) });
    res.end(xml);
  }
}

function peerOf(req: IncomingMessage): string {
  const host = req.socket.remoteAddress;
  if (host === undefined) return 'unix socket';
  return `${host.includes(':') ? `[${host}]` : host}:${req.socket.remotePort ?? '?'}`;
}

function plain(
  res: ServerResponse,
  status: number,
  text: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    'Content-Type': 'text/plain;charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** The body as text, or null once it passes `max` bytes (the rest is not read). */
function readBody(req: IncomingMessage, max: number): Promise<string | null> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > max) return Promise.resolve(null);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        req.removeAllListeners('data');
        req.pause();
        resolve(null);
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/**
 * A socket file left by a daemon that died is removed; one some process still listens on is
 * not (EADDRINUSE then says so), and a path that is not a socket is never touched.
 */
async function clearStaleSocket(path: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = lstatSync(path).isSocket();
  } catch {
    return;
  }
  if (!isSocket) return;
  const isLive = await new Promise<boolean>((resolve) => {
    const probe = connect(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  if (!isLive) unlinkSync(path);
}
