import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  PROGRAM_FIELDS,
  PROGRAM_KEYS,
  type ReloadClass,
} from '../../../src/config/program-keys.js';

/** The program-key table of docs/config.md: key → its default and reload cells. */
function docTable(): Map<string, { default: string; reload: string }> {
  const text = readFileSync(new URL('../../../docs/config.md', import.meta.url), 'utf8');
  const start = text.indexOf('<!-- program-keys:');
  expect(start, 'the marker of the program-key table').toBeGreaterThan(0);
  const rows = new Map<string, { default: string; reload: string }>();
  for (const line of text.slice(start).split('\n').slice(2)) {
    if (!line.startsWith('|')) break;
    const [key, dflt, reload] = line
      .split('|')
      .slice(1, 4)
      .map((cell) => cell.trim());
    if (key === 'key' || key!.startsWith('---')) continue;
    rows.set(key!.replaceAll('`', ''), { default: dflt!, reload: reload! });
  }
  return rows;
}

const WORDS: Record<ReloadClass, string | null> = {
  restart: 'restart',
  'in-place': 'in place',
  resize: 'resize',
  'compared-as-argv': null,
};

describe('docs/config.md', () => {
  const table = docTable();

  it('lists every program key, in the order of the table in the source', () => {
    expect([...table.keys()]).toEqual(PROGRAM_KEYS);
  });

  it.each(PROGRAM_KEYS)('says what a reload does when %s changed', (key) => {
    const classes = Object.values(PROGRAM_FIELDS)
      .filter((row) => row.key === key)
      .map((row) => WORDS[row.reload])
      .filter((word) => word !== null);
    const cell = table.get(key)!.reload;
    for (const word of ['restart', 'in place', 'resize']) {
      expect(cell.includes(word), `${key}: "${cell}" and ${word}`).toBe(classes.includes(word));
    }
  });

  it.each(
    Object.entries(PROGRAM_FIELDS).filter(
      ([, row]) => typeof row.default !== 'object' || Array.isArray(row.default),
    ),
  )('gives the default of %s as the source does', (field, row) => {
    const cell = table.get(row.key)!.default;
    const written: Record<string, string> = {
      startTimeMs: '`1`',
      stopTimeMs: '`10`',
      restartDelayMaxMs: '`30`',
      stopSignal: '`TERM`',
    };
    const expected =
      written[field] ??
      (row.default === 'required' ? 'required' : `\`${JSON.stringify(row.default)}\``);
    // the seconds and signal names are shown as written in a config, not in the source's units
    if (field in written) {
      expect(row.default).toBe(
        { startTimeMs: 1000, stopTimeMs: 10_000, restartDelayMaxMs: 30_000, stopSignal: 'SIGTERM' }[
          field
        ],
      );
    }
    expect(cell.replaceAll('"', '')).toBe(expected.replaceAll('"', ''));
  });
});
