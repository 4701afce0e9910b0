import { open } from 'node:fs/promises';

/** Bytes read from the end of a file for its last lines: enough for 20 lines of a stack trace. */
const TAIL_BYTES = 8 * 1024;
/** A longer line is cut: a mail is read on a phone, and one line can be a megabyte of JSON. */
const MAX_LINE = 300;

export type LastLines = { file: string; lines: string[] } | { file: string; error: string };

/**
 * The last `count` lines of `file`, read without blocking the event loop. A missing file is no
 * lines (the program wrote nothing yet); any other failure is said in place of the lines.
 */
export async function lastLines(file: string, count: number): Promise<LastLines> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { file, lines: [] };
    return { file, error: code ?? String(error) };
  }
  try {
    const { size } = await handle.stat();
    const start = Math.max(0, size - TAIL_BYTES);
    const buffer = Buffer.alloc(size - start);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, start);
    let text = buffer.subarray(0, bytesRead).toString('utf8');
    // a read from the middle of the file starts inside a line: that part is dropped
    if (start > 0) text = text.slice(text.indexOf('\n') + 1);
    const lines = text.split('\n');
    if (lines.at(-1) === '') lines.pop();
    return {
      file,
      lines: lines
        .slice(-count)
        .map((l) => (l.length > MAX_LINE ? `${l.slice(0, MAX_LINE)} […]` : l.trimEnd())),
    };
  } catch (error) {
    return { file, error: (error as NodeJS.ErrnoException).code ?? String(error) };
  } finally {
    await handle.close().catch(() => {
      // a close that fails after a read leaves nothing to do: the descriptor is gone either way
    });
  }
}
