// A client of taskmasterd's documented wire protocol (docs/protocol.md): 4-byte big-endian
// length + msgpack, hello with the token, then requests matched to replies by id. Written from the
// docs rather than imported from a build, so that the same client asks every build compared.
import { Buffer } from 'node:buffer';
import { connect } from 'node:net';
import { Packr } from 'msgpackr';

const packr = new Packr({ useRecords: false, structuredClone: false, mapsAsObjects: true });

export class TmClient {
  static async open(port, token) {
    const socket = connect({ host: '127.0.0.1', port });
    await new Promise((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const client = new TmClient(socket);
    await client.call('hello', { version: 1, token, client: 'bench-peers' });
    return client;
  }

  constructor(socket) {
    this.socket = socket;
    this.pending = new Map();
    this.nextId = 1;
    this.buffer = Buffer.alloc(0);
    socket.on('data', (chunk) => this.receive(chunk));
    socket.on('error', () => {}); // 'close' follows and rejects what is pending
    socket.on('close', () => {
      for (const p of this.pending.values())
        p.reject(new Error('taskmasterd closed the connection'));
      this.pending.clear();
    });
  }

  call(method, params = {}) {
    const id = this.nextId++;
    const payload = packr.pack({ id, method, params });
    const frame = Buffer.allocUnsafe(4 + payload.length);
    frame.writeUInt32BE(payload.length, 0);
    payload.copy(frame, 4);
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.socket.write(frame);
    });
  }

  receive(chunk) {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    while (this.buffer.length >= 4) {
      const length = this.buffer.readUInt32BE(0);
      if (this.buffer.length < 4 + length) break;
      const msg = packr.unpack(this.buffer.subarray(4, 4 + length));
      this.buffer = this.buffer.subarray(4 + length);
      const p = this.pending.get(msg.id);
      if (p === undefined) continue; // a stream event or an error about no request: not asked for
      this.pending.delete(msg.id);
      if (msg.error) p.reject(new Error(`${msg.error.code}: ${msg.error.message}`));
      else p.resolve(msg.result);
    }
  }

  close() {
    this.socket.destroy();
  }
}
