import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { historyFile, loadHistory, saveHistory } from '../../../src/client/history.js';

const dir = () => mkdtempSync(join(tmpdir(), 'tm-history-'));

describe('the shell history file', () => {
  it('is $TM_HISTORY, else ~/.tm_history', () => {
    expect(historyFile({ TM_HISTORY: '/x/h' })).toBe('/x/h');
    expect(historyFile({ TM_HISTORY: '' })).toMatch(/\/\.tm_history$/);
    expect(historyFile({})).toMatch(/\/\.tm_history$/);
  });

  it('is written oldest first, 0600, and read back newest first', () => {
    const file = join(dir(), 'sub', 'history');
    saveHistory(file, ['pid', 'status web:0']);
    expect(readFileSync(file, 'utf8')).toBe('status web:0\npid\n');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(loadHistory(file)).toEqual(['pid', 'status web:0']);
  });

  it('keeps the newest 1000 lines', () => {
    const file = join(dir(), 'history');
    const newestFirst = Array.from({ length: 1500 }, (_, i) => `status ${1499 - i}`);
    saveHistory(file, newestFirst);
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(1000);
    expect(lines[0]).toBe('status 500');
    expect(lines.at(-1)).toBe('status 1499');
    writeFileSync(file, `${Array.from({ length: 1200 }, (_, i) => `pid ${i}`).join('\n')}\n\n`);
    const loaded = loadHistory(file);
    expect(loaded).toHaveLength(1000);
    expect(loaded[0]).toBe('pid 1199');
  });

  it('is empty when there is no file yet', () => {
    expect(loadHistory(join(dir(), 'none'))).toEqual([]);
  });
});
