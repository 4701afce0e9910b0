import { Packr } from 'msgpackr';
import { TaskmasterError } from '../domain/errors.js';

/**
 * Framing of the wire: a 4-byte big-endian length, then that many bytes of msgpack. Records and
 * structured clones are off: a peer gets plain maps and lists, never a class it did not ask for.
 */
const packr = new Packr({ useRecords: false, structuredClone: false, mapsAsObjects: true });

export function encodeFrame(body: unknown): Buffer {
  const payload = packr.pack(body);
  const frame = Buffer.allocUnsafe(4 + payload.length);
  frame.writeUInt32BE(payload.length, 0);
  payload.copy(frame, 4);
  return frame;
}

/** One frame's body as decoded, or the BAD_FRAME error it earns. */
export type Decoded = { ok: true; body: unknown } | { ok: false; error: TaskmasterError };

/**
 * Cuts a byte stream into frames. A length over `maxBytes` throws FRAME_TOO_LARGE at once — before
 * any of the body is buffered — and the stream cannot be re-framed after it, so the caller closes.
 * A body that is not msgpack is only that frame's problem: the next one starts at a known offset.
 */
export class FrameDecoder {
  private buffer: Buffer = Buffer.alloc(0);

  constructor(private readonly maxBytes: number) {}

  push(chunk: Buffer): Decoded[] {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const out: Decoded[] = [];
    while (this.buffer.length >= 4) {
      const length = this.buffer.readUInt32BE(0);
      if (length > this.maxBytes) {
        throw new TaskmasterError(
          'FRAME_TOO_LARGE',
          `frame of ${length} bytes is over the limit of ${this.maxBytes}`,
        );
      }
      if (this.buffer.length < 4 + length) break;
      const payload = this.buffer.subarray(4, 4 + length);
      this.buffer = this.buffer.subarray(4 + length);
      out.push(decode(payload));
    }
    return out;
  }

  /** Bytes of an incomplete frame still waiting for the rest. */
  get pending(): number {
    return this.buffer.length;
  }
}

function decode(payload: Buffer): Decoded {
  if (payload.length === 0) {
    return { ok: false, error: new TaskmasterError('BAD_FRAME', 'empty frame body') };
  }
  try {
    return { ok: true, body: packr.unpack(payload) };
  } catch (error) {
    return {
      ok: false,
      error: new TaskmasterError('BAD_FRAME', 'frame body is not msgpack', { cause: error }),
    };
  }
}
