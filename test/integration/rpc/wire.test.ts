import { once } from 'node:events';
import { readFileSync, statSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { Packr } from 'msgpackr';
import { fromEvent, interval, map, mergeMap, takeUntil, type Observable } from 'rxjs';
import { describe, expect, it, onTestFinished } from 'vitest';
import { encodeFrame, FrameDecoder } from '../../../src/rpc/frame.js';
import { RpcConnection } from '../../../src/rpc/connection.js';
import { MAX_FRAME_BYTES, PROTOCOL_VERSION } from '../../../src/rpc/protocol.js';
import { TestDaemon, fixture } from '../../helpers/test-daemon.js';
import { waitFor } from '../../helpers/wait.js';

/** The wire, abused: every bad input gets a typed error, and the daemon serves everyone else. */

type Frame = Record<string, unknown>;

async function daemonOnPort(): Promise<{ td: TestDaemon; port: number; token: string }> {
  const td = TestDaemon.start(`programs:
  web:
    cmd: "${fixture('exit-on-usr1.sh')}"
    starttime: 0.1
    stoptime: 1
server:
  port: 0
`);
  onTestFinished(() => td.stop());
  const address = await td.daemon.listen();
  const token = readFileSync(join(td.dir, 'taskmaster.token'), 'utf8').trim();
  return { td, port: address.port, token };
}

/** A raw socket with the frames it receives as an observable (and its close). */
async function raw(port: number): Promise<{ socket: Socket; frames$: Observable<Frame> }> {
  const socket = connect({ host: '127.0.0.1', port });
  onTestFinished(() => void socket.destroy());
  await once(socket, 'connect');
  const decoder = new FrameDecoder(MAX_FRAME_BYTES);
  const frames$ = fromEvent(socket, 'data').pipe(
    mergeMap((chunk) => decoder.push(chunk as Buffer)),
    map((d) => (d.ok ? (d.body as Frame) : { undecodable: true })),
    takeUntil(fromEvent(socket, 'close')),
  );
  return { socket, frames$ };
}

function closed(socket: Socket): Promise<unknown> {
  return socket.closed ? Promise.resolve() : once(socket, 'close');
}

async function hello(port: number, token: string) {
  const c = await raw(port);
  const reply = waitFor(c.frames$, (f) => f.id === 1, 'the hello reply');
  c.socket.write(
    encodeFrame({ id: 1, method: 'hello', params: { version: PROTOCOL_VERSION, token } }),
  );
  expect(await reply).toMatchObject({ id: 1, result: { version: PROTOCOL_VERSION } });
  return c;
}

/** After any abuse, a well-behaved client gets its answer. */
async function stillServes(port: number, token: string): Promise<void> {
  const client = await RpcConnection.open({ host: '127.0.0.1', port }, token);
  const status = await client.call('status', { names: [] });
  expect(status.map((s) => s.name)).toEqual(['web:0']);
  client.close();
}

describe('the wire', () => {
  it('creates the token file with mode 0600', async () => {
    const { td } = await daemonOnPort();
    expect(statSync(join(td.dir, 'taskmaster.token')).mode & 0o777).toBe(0o600);
  });

  it('refuses a wrong token, closes, and logs the refusal', async () => {
    const { td, port, token } = await daemonOnPort();
    const c = await raw(port);
    const reply = waitFor(c.frames$, (f) => f.id === 1, 'the refusal');
    c.socket.write(encodeFrame({ id: 1, method: 'hello', params: { version: 1, token: 'nope' } }));
    expect(await reply).toMatchObject({
      id: 1,
      error: { code: 'UNAUTHORIZED', message: 'wrong token' },
    });
    await closed(c.socket);
    const log = readFileSync(join(td.dir, 'taskmaster.log'), 'utf8');
    expect(log).toMatch(/WARN refused client 127\.0\.0\.1:\d+: wrong token/);
    expect(log).not.toContain(token);
    await stillServes(port, token);
  });

  it('refuses any method before hello', async () => {
    const { port, token } = await daemonOnPort();
    const c = await raw(port);
    const reply = waitFor(c.frames$, (f) => f.id === 7, 'the refusal');
    c.socket.write(encodeFrame({ id: 7, method: 'status', params: {} }));
    expect(await reply).toMatchObject({ error: { code: 'UNAUTHORIZED' } });
    await closed(c.socket);
    await stillServes(port, token);
  });

  it('answers a body that is not msgpack with BAD_FRAME, and goes on', async () => {
    const { port, token } = await daemonOnPort();
    const c = await hello(port, token);
    const bad = waitFor(c.frames$, (f) => f.id === null, 'the BAD_FRAME error');
    // 0xc1 is the one byte msgpack never uses
    c.socket.write(Buffer.from([0, 0, 0, 1, 0xc1]));
    expect(await bad).toMatchObject({ error: { code: 'BAD_FRAME' } });
    const ok = waitFor(c.frames$, (f) => f.id === 2, 'the status reply after garbage');
    c.socket.write(encodeFrame({ id: 2, method: 'status', params: {} }));
    expect(await ok).toHaveProperty('result');
  });

  it('checks the shape of what msgpack decodes', async () => {
    const { port, token } = await daemonOnPort();
    const c = await hello(port, token);
    const packr = new Packr({ useRecords: false });
    const send = (body: unknown) => {
      const payload = packr.pack(body);
      const head = Buffer.alloc(4);
      head.writeUInt32BE(payload.length);
      c.socket.write(Buffer.concat([head, payload]));
    };
    const errors = waitFor(c.frames$, (f) => f.id === null, 'BAD_FRAME for a bare number');
    send(42);
    expect(await errors).toMatchObject({
      error: { code: 'BAD_FRAME', message: 'a request must be a map' },
    });
    const unknown = waitFor(c.frames$, (f) => f.id === 3, 'UNKNOWN_METHOD');
    send({ id: 3, method: 'launch', params: {} });
    expect(await unknown).toMatchObject({
      error: { code: 'UNKNOWN_METHOD', message: 'unknown method: launch' },
    });
    const badParams = waitFor(c.frames$, (f) => f.id === 4, 'BAD_PARAMS');
    send({ id: 4, method: 'start', params: { names: 'web' } });
    expect(await badParams).toMatchObject({
      error: {
        code: 'BAD_PARAMS',
        message: 'start: params.names must be a list of names like web:0, web or all',
      },
    });
    const noName = waitFor(c.frames$, (f) => f.id === 5, 'NO_SUCH_PROGRAM');
    send({ id: 5, method: 'stop', params: { names: ['wbe'] } });
    expect(await noName).toMatchObject({
      error: { code: 'NO_SUCH_PROGRAM', message: 'no such program: wbe (did you mean web?)' },
    });
  });

  it('closes a connection whose length prefix says 4 GiB, before reading the body', async () => {
    const { port, token } = await daemonOnPort();
    const c = await hello(port, token);
    const error = waitFor(c.frames$, (f) => f.id === null, 'FRAME_TOO_LARGE');
    c.socket.write(Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 2, 3]));
    expect(await error).toMatchObject({ error: { code: 'FRAME_TOO_LARGE' } });
    await closed(c.socket);
    await stillServes(port, token);
  });

  it('waits for the rest of a half frame, serving others meanwhile', async () => {
    const { port, token } = await daemonOnPort();
    const c = await hello(port, token);
    const frame = encodeFrame({ id: 9, method: 'status', params: {} });
    c.socket.write(frame.subarray(0, 5));
    await stillServes(port, token);
    const reply = waitFor(c.frames$, (f) => f.id === 9, 'the reply to the completed frame');
    c.socket.write(frame.subarray(5));
    expect(await reply).toHaveProperty('result');
  });

  it('closes a connection that never says hello', async () => {
    const { td, port, token } = await daemonOnPort();
    // the limit is 5 s: this is the one test that waits for a timer of the daemon
    const c = await raw(port);
    await closed(c.socket);
    expect(readFileSync(join(td.dir, 'taskmaster.log'), 'utf8')).toMatch(
      /refused client 127\.0\.0\.1:\d+: no hello within 5000 ms/,
    );
    await stillServes(port, token);
  }, 10_000);

  it('serves a client while 200 idle connections are open', async () => {
    const { port, token } = await daemonOnPort();
    const idle = await Promise.all(
      Array.from({ length: 200 }, async () => {
        const s = connect({ host: '127.0.0.1', port });
        onTestFinished(() => void s.destroy());
        await once(s, 'connect');
        return s;
      }),
    );
    expect(idle).toHaveLength(200);
    await stillServes(port, token);
  });

  it('forgets a client that disconnects in the middle of a stream', async () => {
    const { td, port, token } = await daemonOnPort();
    const client = await RpcConnection.open({ host: '127.0.0.1', port }, token);
    const seen: unknown[] = [];
    const sub = client.subscribe(
      'log',
      { names: ['web'], limit: null, sinceMs: null, follow: true },
      (e) => seen.push(e),
    );
    await sub.result;
    expect(td.daemon.streamCount).toBe(1);
    client.close();
    await client.closed;
    // the daemon hears the close in its own time: its stream count says when
    await waitFor(
      interval(20).pipe(map(() => td.daemon.streamCount)),
      (n) => n === 0,
      'the daemon to drop the stream',
    );
    const mark = td.mark();
    td.daemon.command('restart', ['web:0']);
    await td.waitState('web:0', 'running', mark);
    await stillServes(port, token);
  });

  it('refuses a second stream on an id still in use', async () => {
    const { td, port, token } = await daemonOnPort();
    const c = await hello(port, token);
    const first = waitFor(c.frames$, (f) => f.id === 5 && 'result' in f, 'the first stream');
    const follow = { id: 5, method: 'log', params: { names: ['web'], follow: true } };
    c.socket.write(encodeFrame(follow));
    await first;
    const refused = waitFor(c.frames$, (f) => f.id === 5 && 'error' in f, 'the refusal');
    c.socket.write(encodeFrame(follow));
    expect(await refused).toMatchObject({
      error: { code: 'BAD_FRAME', message: 'request id 5 is in use by a stream' },
    });
    expect(td.daemon.streamCount).toBe(1);
  });

  it('ends every stream with an end frame when the daemon shuts down', async () => {
    const { td, port, token } = await daemonOnPort();
    const c = await hello(port, token);
    const first = waitFor(c.frames$, (f) => f.id === 5 && 'result' in f, 'the stream');
    c.socket.write(encodeFrame({ id: 5, method: 'log', params: { follow: true } }));
    await first;
    const end = waitFor(c.frames$, (f) => f.id === 5 && f.end === true, 'the end frame');
    void td.daemon.shutdown();
    await end;
    await closed(c.socket);
  });
});
