import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../../src/domain/errors.js';
import { MAX_FRAME_BYTES, PARAMS } from '../../../src/rpc/protocol.js';

/** docs/protocol.md is the contract for third-party clients: it and the code must agree. */

const doc = readFileSync(new URL('../../../docs/protocol.md', import.meta.url), 'utf8');

function tableFirstColumn(heading: string): string[] {
  const section = doc.split(`## ${heading}`)[1]!.split('\n## ')[0]!;
  return section
    .split('\n')
    .filter((l) => l.startsWith('| `'))
    .map((l) => /^\| `([^`]+)`/.exec(l)![1]!);
}

describe('docs/protocol.md', () => {
  it('has a row with what to do for every error code, and no other', () => {
    expect(tableFirstColumn('Error codes').sort()).toEqual([...ERROR_CODES].sort());
    const rows = doc
      .split('## Error codes')[1]!
      .split('\n')
      .filter((l) => l.startsWith('| `'));
    for (const row of rows) expect(row.split('|').filter((c) => c.trim() !== '')).toHaveLength(3);
  });

  it('documents every method, and no other', () => {
    expect(tableFirstColumn('Methods').sort()).toEqual(Object.keys(PARAMS).sort());
  });

  it('states the frame limit the code enforces', () => {
    expect(MAX_FRAME_BYTES).toBe(1_048_576);
    expect(doc).toContain('**1 MiB** (1,048,576 bytes)');
  });
});
