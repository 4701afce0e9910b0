import { spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { copyTruncate } from '../../../src/daemon/copy-truncate.js';
import { waitUntil } from '../../helpers/daemon-process.js';
import { ownTempDir } from '../../helpers/processes.js';
import { fixture } from '../../helpers/test-daemon.js';

const MiB = 1024 * 1024;

/** The file moves of one rotation, on real files (the writers are in output-rotator.test.ts). */

const read = (f: string) => (existsSync(f) ? readFileSync(f, 'utf8') : null);

describe('copyTruncate', () => {
  it('keeps file.1 newest … file.N oldest, dropping what would be file.N+1', async () => {
    const file = join(ownTempDir('tm-copy-'), 'out');
    for (const text of ['one', 'two', 'three', 'four']) {
      writeFileSync(file, text, { flag: 'a' });
      const r = await copyTruncate(file, 2);
      expect(r).toMatchObject({ file, backup: `${file}.1`, bytes: text.length, lostBytes: 0 });
    }
    expect([file, `${file}.1`, `${file}.2`, `${file}.3`].map(read)).toEqual([
      '',
      'four',
      'three',
      null,
    ]);
  });

  it('moves only up to the first free place, and drops backups past a lowered count', async () => {
    const file = join(ownTempDir('tm-copy-'), 'out');
    writeFileSync(`${file}.1`, 'older');
    writeFileSync(`${file}.3`, 'oldest');
    writeFileSync(`${file}.4`, 'kept by a config with more backups');
    writeFileSync(file, 'new');
    await copyTruncate(file, 3);
    expect([file, `${file}.1`, `${file}.2`, `${file}.3`, `${file}.4`].map(read)).toEqual([
      '',
      'new',
      'older',
      'oldest',
      null,
    ]);
  });

  it('with backups 0 only truncates, and keeps the mode of the file for its backup', async () => {
    const file = join(ownTempDir('tm-copy-'), 'out');
    writeFileSync(file, 'gone', { mode: 0o640 });
    expect(await copyTruncate(file, 0)).toMatchObject({ backup: null, bytes: 4 });
    expect([read(file), read(`${file}.1`)]).toEqual(['', null]);
    writeFileSync(file, 'kept');
    await copyTruncate(file, 1);
    expect(statSync(`${file}.1`).mode & 0o777).toBe(0o640);
  });

  it('copies a file of many chunks whole, and gives up untouched when cancelled', async () => {
    const file = join(ownTempDir('tm-copy-'), 'out');
    const text = 'x'.repeat(1000) + 'y'.repeat(1000) + 'z';
    writeFileSync(file, text);
    const limits = { chunkBytes: 64, syncBytes: 128, rounds: 2, chaseFactor: 4 };
    expect(await copyTruncate(file, 1, { limits })).toMatchObject({ bytes: text.length });
    expect(read(`${file}.1`)).toBe(text);
    writeFileSync(file, text);
    expect(await copyTruncate(file, 1, { limits, isCancelled: () => true })).toBeNull();
    // the old backup was already made room for; the file is as it was, no partial copy left
    expect([read(file), read(`${file}.1`)]).toEqual([text, null]);
  });

  it('stops chasing a writer faster than the copy, and counts what that loses', async () => {
    const dir = ownTempDir('tm-copy-');
    const file = join(dir, 'out');
    writeFileSync(file, 'x'.repeat(63) + '\n');
    const fd = openSync(file, 'a');
    // 64 KiB a write, flat out, against a copy of 1 KiB at a time
    const child = spawn(
      process.execPath,
      [fixture('numbered-lines.js'), String(64 * MiB), String(64 * 1024), '0'],
      { stdio: ['ignore', fd, 'ignore'] },
    );
    closeSync(fd);
    onTestFinished(() => {
      child.kill('SIGKILL');
    });
    await waitUntil(() => statSync(file).size > MiB, 'the writer to be ahead');
    const limits = { chunkBytes: 1024, syncBytes: 4096, rounds: 8, chaseFactor: 2 };
    // held still while the rotation takes the size it starts from (before its first await)
    process.kill(child.pid!, 'SIGSTOP');
    const start = statSync(file).size;
    const rotating = copyTruncate(file, 1, { limits });
    process.kill(child.pid!, 'SIGCONT');
    const r = (await rotating)!;
    expect(r.lostBytes).toBeGreaterThan(0);
    // the chase stops at twice the size at the start (which a write in flight at the SIGSTOP
    // may have added to), the forced catch-up adds syncBytes
    expect(r.bytes).toBeLessThanOrEqual(2 * (start + 64 * 1024) + 4096 + 1024);
    expect(statSync(`${file}.1`).size).toBe(r.bytes);
  });

  it('a failure loses nothing: the file is left as it was', async () => {
    const file = join(ownTempDir('tm-copy-'), 'out');
    writeFileSync(file, 'all of it');
    // a folder where the backup goes is not removed, not even by root
    mkdirSync(`${file}.1/in-the-way`, { recursive: true });
    await expect(copyTruncate(file, 1)).rejects.toMatchObject({ code: 'EISDIR' });
    expect(read(file)).toBe('all of it');
  });
});
