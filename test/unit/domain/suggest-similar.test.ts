import { describe, expect, it } from 'vitest';
import { suggestSimilar } from '../../../src/domain/suggest-similar.js';

/** The did-you-mean of unknown names and keys (commander's suggestSimilar as the model). */

describe('suggestSimilar', () => {
  it('suggests the program a typo was meant to be', () => {
    expect(suggestSimilar('ngnix', ['web', 'nginx', 'db'])).toBe('nginx');
    expect(suggestSimilar('wbe', ['web', 'nginx'])).toBe('web');
    expect(suggestSimilar('nginxx', ['web', 'nginx'])).toBe('nginx');
    expect(suggestSimilar('ngin', ['web', 'nginx'])).toBe('nginx');
  });

  it('counts a transposition of neighbours as one edit', () => {
    // 'ab' -> 'ba' is 2 substitutions but 1 transposition: similarity (2 - 1) / 2 = 0.5 > 0.4
    expect(suggestSimilar('ab', ['ba'])).toBe('ba');
    expect(suggestSimilar('umaks', ['umask'])).toBe('umask');
  });

  it('suggests nothing for a one-letter word, and never a one-letter candidate', () => {
    expect(suggestSimilar('w', ['web', 'w2', 'x'])).toBeNull();
    expect(suggestSimilar('', ['web'])).toBeNull();
    expect(suggestSimilar('ab', ['a', 'b'])).toBeNull();
  });

  it('needs a similarity above 0.4: (length - distance) / length of the longer word', () => {
    // 5 letters, 2 edits: 0.6
    expect(suggestSimilar('abcde', ['abcxy'])).toBe('abcxy');
    // 5 letters, 3 edits: exactly 0.4, not above
    expect(suggestSimilar('abcde', ['abxyz'])).toBeNull();
    // 2 letters against 5: 3 insertions, 0.4
    expect(suggestSimilar('ab', ['abcde'])).toBeNull();
    expect(suggestSimilar('xyz', ['web', 'nginx', 'db'])).toBeNull();
  });

  it('picks the closest candidate, the first one on a tie', () => {
    expect(suggestSimilar('webb', ['webapp', 'web'])).toBe('web');
    expect(suggestSimilar('nginx', ['nginx1', 'nginx2'])).toBe('nginx1');
    expect(suggestSimilar('nginx', ['nginx2', 'nginx1'])).toBe('nginx2');
  });

  it('is case-sensitive, a case change being one edit', () => {
    expect(suggestSimilar('Web', ['web'])).toBe('web');
  });

  it('suggests nothing without candidates', () => {
    expect(suggestSimilar('web', [])).toBeNull();
  });
});
