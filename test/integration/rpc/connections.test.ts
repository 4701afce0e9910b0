import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { connect, type Server } from 'node:net';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { interval, map, Subject, take } from 'rxjs';
import { describe, expect, it, onTestFinished } from 'vitest';
import { COMMANDS, connect as tmConnect, execute, parse, report } from '../../../src/client/cli.js';
import type { Io } from '../../../src/client/command.js';
import { runShell } from '../../../src/client/shell.js';
import { rpcHandlers } from '../../../src/daemon/handlers.js';
import type { RpcLimits } from '../../../src/rpc/server.js';
import { RpcConnection } from '../../../src/rpc/connection.js';
import { encodeFrame, FrameDecoder } from '../../../src/rpc/frame.js';
import { MAX_FRAME_BYTES } from '../../../src/rpc/protocol.js';
import { RpcServer, stream } from '../../../src/rpc/server.js';
import { waitUntil } from '../../helpers/daemon-process.js';
import { TestDaemon, fixture } from '../../helpers/test-daemon.js';
import { waitFor } from '../../helpers/wait.js';

/**
 * Issue 7: connections are few, short-lived until they say hello, bounded after, closed when
 * idle, and refusals are logged without flooding the daemon log.
 */

const CONFIG = `programs:
  web:
    cmd: "${fixture('exit-on-usr1.sh')}"
    starttime: 0.1
    stoptime: 1
  slow:
    cmd: "${fixture('exit-on-usr1.sh')}"
    starttime: 1
    stoptime: 1
    autostart: false
server:
  port: 0
`;

async function daemonOnPort(limits: Partial<RpcLimits> = {}) {
  const td = TestDaemon.start(CONFIG);
  onTestFinished(() => td.stop());
  const { port } = await td.daemon.listen(limits);
  const token = readFileSync(join(td.dir, 'taskmaster.token'), 'utf8').trim();
  const endpoint = { host: '127.0.0.1', port };
  const open = async () => {
    const c = await RpcConnection.open(endpoint, token);
    onTestFinished(() => c.close());
    return c;
  };
  const logLines = () => readFileSync(join(td.dir, 'taskmaster.log'), 'utf8').split('\n');
  return { td, port, token, endpoint, open, logLines };
}

/** A socket that connects and says nothing, with the frames it is sent and its close. */
async function bare(port: number) {
  const socket = connect({ host: '127.0.0.1', port });
  onTestFinished(() => void socket.destroy());
  socket.on('error', () => {});
  const decoder = new FrameDecoder(MAX_FRAME_BYTES);
  const frames: unknown[] = [];
  socket.on('data', (chunk: Buffer) => {
    for (const d of decoder.push(chunk)) if (d.ok) frames.push(d.body);
  });
  await once(socket, 'connect');
  const closed = socket.closed ? Promise.resolve() : once(socket, 'close').then(() => {});
  return { socket, frames, closed };
}

/** `attempt()` until it succeeds, every 50 ms, or its last error at the deadline. */
async function eventually<T>(attempt: () => Promise<T>, what: string, ms = 3000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() > deadline) {
        throw new Error(`timed out after ${ms} ms waiting for ${what}: ${String(error)}`);
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const refusals = (lines: string[]) => lines.filter((l) => / WARN refused /.test(l));

describe('connections before hello', () => {
  it('are few: the one waiting longest makes room, and refusals after the first are counted', async () => {
    const { port, open, logLines } = await daemonOnPort({
      maxUnauthenticated: 4,
      refusalLogIntervalMs: 300,
    });
    const first = await bare(port);
    for (let i = 0; i < 3; i++) await bare(port);
    // the fifth: the first has waited longest, it goes
    await bare(port);
    await first.closed;
    expect(first.frames).toEqual([
      {
        id: null,
        error: {
          code: 'UNAUTHORIZED',
          message: 'closed before hello: no hello yet, the longest waiting of 4 connections',
        },
      },
    ]);
    for (let i = 0; i < 3; i++) await bare(port);
    await waitUntil(() => refusals(logLines()).length === 2, 'the count of refusals', 3000);
    expect(refusals(logLines())).toEqual([
      expect.stringMatching(
        /WARN refused client 127\.0\.0\.1:\d+: no hello yet, the longest waiting of 4 connections$/,
      ),
      expect.stringMatching(
        /WARN refused 3 more clients in the last 0\.3 s from 127\.0\.0\.1: 3 evicted before hello$/,
      ),
    ]);
    // a client that says hello at once is served all the same
    const client = await open();
    expect(await client.call('status', { names: ['web'] })).toHaveLength(1);
  });
});

describe('connections after hello', () => {
  it('are capped: one over the limit is refused with TOO_MANY_CLIENTS, and let in once one leaves', async () => {
    const { open } = await daemonOnPort({ maxConnections: 2 });
    const a = await open();
    await open();
    await expect(open()).rejects.toMatchObject({
      code: 'TOO_MANY_CLIENTS',
      message: 'taskmasterd serves 2 clients already',
      hint: 'close the tm shells and scripts that are connected, then try again',
    });
    a.close();
    // the daemon hears of the close in its own time: a new client is let in once it has
    await eventually(open, 'a client to be let in after one left');
  });

  it('are closed with IDLE_TIMEOUT when idle; a stream or a request in flight is not idle', async () => {
    const { td, open, logLines } = await daemonOnPort({ idleTimeoutMs: 300 });
    const streaming = await open();
    const events: unknown[] = [];
    const sub = streaming.subscribe(
      'log',
      { names: ['web'], limit: 1, sinceMs: null, follow: true },
      (e) => events.push(e),
    );
    await sub.result;
    // slow:0 takes its starttime (1 s) to answer: the request is in flight all that while
    const busy = await open();
    const started = busy.call('start', { names: ['slow'], wait: true });
    await td.waitState('slow:0', 'starting');
    const idle = await open();
    await idle.closed;
    expect(idle.closeReason).toMatchObject({
      code: 'IDLE_TIMEOUT',
      message: 'closed after 300 ms without a request',
    });
    // both were open before the idle one, so an idle clock of theirs would have run out first
    expect(streaming.isClosed).toBe(false);
    expect(busy.isClosed).toBe(false);
    expect(await started).toMatchObject([{ name: 'slow:0', ok: true, message: 'started' }]);
    // answered: now it is idle, and its clock starts from the reply
    await busy.closed;
    expect(busy.closeReason?.code).toBe('IDLE_TIMEOUT');
    expect(streaming.isClosed).toBe(false);
    await sub.cancel();
    await streaming.closed;
    expect(streaming.closeReason?.code).toBe('IDLE_TIMEOUT');
    expect(
      logLines().filter((l) => / INFO closed client .*: idle for 300 ms$/.test(l)),
    ).toHaveLength(3);
  });

  it('the tm shell reconnects after an idle close without a word', async () => {
    const { td, port, logLines } = await daemonOnPort({ idleTimeoutMs: 300 });
    let out = '';
    let err = '';
    const printed = new Subject<void>();
    const io: Io = {
      stdout: (t) => {
        out += t;
        printed.next();
      },
      stderr: (t) => {
        err += t;
        printed.next();
      },
      isTTY: false,
      env: {},
      now: () => Date.now(),
      onInterrupt: () => () => {},
    };
    const input = new PassThrough();
    const global = parse(['-c', td.configFile, '--port', String(port)]).global;
    const shell = runShell(
      global,
      io,
      '0.1.0',
      { commands: COMMANDS, parse, execute, connect: tmConnect, report },
      { input, output: new PassThrough(), isTerminal: false },
    );
    const pidLine = `${process.pid}\n`;
    const first = waitFor(printed, () => out === pidLine, 'the first answer');
    input.write('pid\n');
    await first;
    await waitUntil(
      () => logLines().some((l) => / INFO closed client .*: idle for 300 ms$/.test(l)),
      'the daemon to close the idle shell',
      3000,
    );
    const second = waitFor(printed, () => out === pidLine.repeat(2), 'the answer after it');
    input.write('pid\n');
    await second;
    input.end();
    expect(await shell).toBe(0);
    expect(err).toBe('');
  });
});

describe('a client that does not read', () => {
  it('is dropped once the queue for it is over the limit, and that is logged once', async () => {
    const { td, token } = await daemonOnPort();
    const lines: string[] = [];
    const log = { info: () => {}, warn: (l: string) => lines.push(l), error: () => {} };
    // log -f of events far larger than the daemon's: the queue grows as fast as they come
    const big = interval(0).pipe(
      take(2000),
      map((i) => ({ seq: i, pad: 'x'.repeat(32 * 1024) })),
    );
    const server = new RpcServer({
      handlers: { ...rpcHandlers(td.daemon), log: () => stream([], big) },
      token,
      configFile: td.configFile,
      logFile: 'test',
      log,
      maxQueuedBytes: 1024 * 1024,
    });
    const { port } = await server.listen('127.0.0.1', 0);
    onTestFinished(async () => {
      server.closeAll();
      await server.stopListening();
    });
    const client = await bare(port);
    const replies = () => client.frames.filter((f) => (f as { id?: unknown }).id === 2);
    client.socket.write(encodeFrame({ id: 1, method: 'hello', params: { version: 1, token } }));
    client.socket.write(encodeFrame({ id: 2, method: 'log', params: { follow: true } }));
    await waitUntil(() => replies().length > 0, 'the reply to log -f');
    // paused, it does not even read the close: the daemon's side says when it is dropped
    client.socket.pause();
    await waitUntil(() => lines.length > 0, 'the client to be dropped', 10_000);
    await waitUntil(() => server.streamCount === 0, 'the daemon to let go of the stream');
    expect(lines).toEqual([
      expect.stringMatching(
        /^dropped client 127\.0\.0\.1:\d+: it stopped reading \(\d+ bytes queued for it\)$/,
      ),
    ]);
  });
});

describe('the listening socket', () => {
  it('logs a failed accept (EMFILE), counted after the first, and goes on serving', async () => {
    const { td, token } = await daemonOnPort();
    const lines: string[] = [];
    const log = { info: () => {}, warn: (l: string) => lines.push(l), error: () => {} };
    const server = new RpcServer({
      handlers: rpcHandlers(td.daemon),
      token,
      configFile: td.configFile,
      logFile: 'test',
      log,
      refusalLogIntervalMs: 200,
    });
    const { port } = await server.listen('127.0.0.1', 0);
    onTestFinished(async () => {
      server.closeAll();
      await server.stopListening();
    });
    // libuv closes what it cannot accept with a spare descriptor of its own, and reports the
    // error to the server only when that spare is gone too: which no test can arrange, so
    // the error is handed to the listening server as libuv hands it
    const listening = Reflect.get(server, 'server') as Server;
    const emfile = () =>
      Object.assign(new Error('accept EMFILE'), { code: 'EMFILE', errno: -24, syscall: 'accept' });
    listening.emit('error', emfile());
    listening.emit('error', emfile());
    await waitUntil(() => lines.length === 2, 'the count of failed accepts', 3000);
    expect(lines).toEqual([
      'cannot accept a connection: EMFILE',
      '1 more failed accepts in the last 0.2 s: 1 EMFILE',
    ]);
    const client = await RpcConnection.open({ host: '127.0.0.1', port }, token);
    onTestFinished(() => client.close());
    expect(await client.call('status', { names: ['web'] })).toHaveLength(1);
  });
});
