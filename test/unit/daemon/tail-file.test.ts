import { describe, expect, it } from 'vitest';
import { tailStart } from '../../../src/daemon/tail-file.js';

/** Where `tm tail` starts in the last N bytes of a file (issue 10: lines longer than N). */

const cut = (text: string, isAtLineStart = false) => {
  const window = Buffer.from(text);
  return window.subarray(tailStart(window, isAtLineStart)).toString();
};

describe('tailStart', () => {
  it('starts at the first line that begins within the window', () => {
    expect(cut('ne 1\nline 2\n')).toBe('line 2\n');
    expect(cut('ne 1\nline 2 being writ')).toBe('line 2 being writ');
  });

  it('keeps the whole window when it begins a line', () => {
    expect(cut('line 1\nline 2\n', true)).toBe('line 1\nline 2\n');
  });

  it('keeps the end of a line longer than the window', () => {
    expect(cut('of a long line\n')).toBe('of a long line\n');
    expect(cut('of a long line still being writ')).toBe('of a long line still being writ');
  });

  it('never starts inside a character', () => {
    const window = Buffer.from('é and more\n').subarray(1);
    expect(window.subarray(tailStart(window, false)).toString()).toBe(' and more\n');
  });
});
