import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../../src/domain/errors.js';
import { FOLLOW_LIMITS } from '../../../src/daemon/tail-file.js';
import {
  CLIENT_NAME_MAX_LENGTH,
  CONTROL_VERBS,
  LOG_DEFAULT_LIMIT,
  LOG_FOLLOW_DEFAULT_LIMIT,
  LOG_MAX_LIMIT,
  MAX_FRAME_BYTES,
  PARAMS,
  TAIL_EVENT_MAX_BYTES,
} from '../../../src/rpc/protocol.js';
import { DEFAULT_LIMITS } from '../../../src/rpc/server.js';

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

  it('states the connection limits the server enforces, with their defaults', () => {
    const session = doc.split('## Session')[1]!.split('\n## ')[0]!;
    const rows = new Map(
      session
        .split('\n')
        .filter((l) => l.startsWith('| `'))
        .map((l) => {
          const [name, value] = l
            .split('|')
            .slice(1, 3)
            .map((c) => c.trim());
          return [name!.replace(/`/g, ''), value!];
        }),
    );
    const units: Record<string, number> = { '': 1, ' KiB': 1024, ' MiB': 1024 * 1024 };
    const documented = Object.fromEntries(
      [...rows].map(([name, value]) => {
        const m = /^(\d+)( KiB| MiB)?/.exec(value)!;
        return [name, Number(m[1]) * units[m[2] ?? '']!];
      }),
    );
    expect(documented).toEqual(DEFAULT_LIMITS);
  });

  it('states the chunk and lag limits of tail -f', () => {
    expect(TAIL_EVENT_MAX_BYTES).toBe(64 * 1024);
    expect(doc).toContain('has a frame body of 64 KiB at most');
    expect(FOLLOW_LIMITS.maxLagBytes).toBe(4 * 1024 * 1024);
    expect(doc).toContain('falls more than 4 MiB behind');
  });

  it("states the log limits and the hello's client name as the code checks them", () => {
    expect(doc).toContain(
      `(default ${LOG_DEFAULT_LIMIT}, with \`follow\` ${LOG_FOLLOW_DEFAULT_LIMIT}; at most ${LOG_MAX_LIMIT}, so a reply fits a frame)`,
    );
    expect(doc).toContain('| `hello`    | `{ version: 1, token, client? }`');
    expect(doc).toContain(`a name of 1 to ${CLIENT_NAME_MAX_LENGTH} characters`);
  });

  it('names every control action the event log records, each a method', () => {
    const section = doc.split('## Control actions in the event log')[1]!.split('\n## ')[0]!;
    const named = /^Every (.+) that reaches its handler/m.exec(section)![1]!;
    expect([...named.matchAll(/`(\w+)`/g)].map((m) => m[1])).toEqual([...CONTROL_VERBS]);
    for (const verb of CONTROL_VERBS) expect(Object.keys(PARAMS)).toContain(verb);
    for (const phase of ["'VERB asked'", "'VERB ok'", "'VERB failed'"]) {
      expect(section).toContain(phase);
    }
  });
});
