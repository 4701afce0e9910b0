import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { copyTruncate } from '../../../src/daemon/copy-truncate.js';
import { ownTempDir } from '../../helpers/processes.js';

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
    const limits = { chunkBytes: 64, syncBytes: 128, rounds: 2 };
    expect(await copyTruncate(file, 1, { limits })).toMatchObject({ bytes: text.length });
    expect(read(`${file}.1`)).toBe(text);
    writeFileSync(file, text);
    expect(await copyTruncate(file, 1, { limits, isCancelled: () => true })).toBeNull();
    // the old backup was already made room for; the file is as it was, no partial copy left
    expect([read(file), read(`${file}.1`)]).toEqual([text, null]);
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
