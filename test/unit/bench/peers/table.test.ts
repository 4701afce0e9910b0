import { describe, expect, it } from 'vitest';
import {
  formatCell,
  formatNumber,
  formatRatio,
  formatTable,
  median,
  summarize,
} from '../../../../bench/peers/table.mjs';

describe('bench:peers table', () => {
  it('takes the middle sample, or the mean of the two middle ones', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(() => median([])).toThrow('median of no samples');
    expect(summarize([])).toBeNull();
    expect(summarize([3, 1, 2])).toEqual({ median: 2, min: 1, max: 3, n: 3 });
  });

  it('prints each unit to a precision that fits its size', () => {
    expect(formatNumber(1234.6, 'ms')).toBe('1235');
    expect(formatNumber(42.26, 'ms')).toBe('42.3');
    expect(formatNumber(6.123, 'ms')).toBe('6.12');
    expect(formatNumber(0, 'ms')).toBe('0');
    expect(formatNumber(77.04, 'MiB')).toBe('77.0');
    expect(formatNumber(129, 'MiB')).toBe('129.0');
    expect(formatNumber(0, 'MiB')).toBe('0');
    expect(formatNumber(0.125, 'MiB')).toBe('0.13');
    expect(formatNumber(2, 'count')).toBe('2');
    expect(formatNumber(1.5, 'count')).toBe('1.5');
  });

  it('gives median (min–max), the median alone when all samples agree, n/a for none', () => {
    expect(formatCell(summarize([210, 200, 223]), 'ms')).toBe('210 (200–223)');
    expect(formatCell(summarize([78.2]), 'MiB')).toBe('78.2');
    expect(formatCell(summarize([0, 0, 0]), 'count')).toBe('0');
    expect(formatCell(null, 'ms')).toBe('n/a');
  });

  it('divides by the best peer, and says nothing against no peer or a best of 0', () => {
    const s = (m: number) => summarize([m]);
    expect(formatRatio(s(50), [s(100), s(200)])).toBe('0.50×');
    expect(formatRatio(s(1000), [s(10), null])).toBe('100×');
    expect(formatRatio(s(5), [null])).toBe('—');
    expect(formatRatio(s(5), [s(0)])).toBe('—');
    expect(formatRatio(null, [s(3)])).toBe('—');
  });

  it('lays out one column per system and one ratio column per taskmaster build', () => {
    const results = new Map([
      [
        'status',
        new Map([
          ['before', [200, 210, 220]],
          ['after', [70]],
          ['supervisor', [160]],
          ['pm2', [140]],
        ]),
      ],
      ['left', new Map([['before', [0]]])],
    ]);
    const table = formatTable({
      figures: [
        { id: 'status', label: '`status`', unit: 'ms', ratio: true },
        { id: 'left', label: 'left', unit: 'count', ratio: false },
      ],
      systems: [
        { label: 'before', isTaskmaster: true },
        { label: 'after', isTaskmaster: true },
        { label: 'supervisor', isTaskmaster: false },
        { label: 'pm2', isTaskmaster: false },
      ],
      results,
    });
    expect(table).toBe(
      [
        '| figure | before | after | supervisor | pm2 | before ÷ best peer | after ÷ best peer |',
        '| --- | --- | --- | --- | --- | --- | --- |',
        '| `status` (ms) | 210 (200–220) | 70 | 160 | 140 | 1.50× | 0.50× |',
        '| left (count) | 0 | n/a | n/a | n/a | — | — |',
      ].join('\n'),
    );
  });

  it('has no ratio columns without a peer', () => {
    const table = formatTable({
      figures: [{ id: 'x', label: 'x', unit: 'ms', ratio: true }],
      systems: [{ label: 'taskmaster', isTaskmaster: true }],
      results: new Map([['x', new Map([['taskmaster', [1.5]]])]]),
    });
    expect(table).toBe('| figure | taskmaster |\n| --- | --- |\n| x (ms) | 1.50 |');
  });
});
