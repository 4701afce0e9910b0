import { describe, expect, it } from 'vitest';
import { parseOptions } from '../../../../bench/peers/options.mjs';

const parse = (...argv: string[]) => parseOptions(argv, '/repo');

describe('bench:peers options', () => {
  it('runs all three, this checkout as taskmaster, 5 runs (1 with --quick)', () => {
    expect(parse()).toEqual({
      runs: 5,
      only: ['taskmaster', 'supervisor', 'pm2'],
      taskmasters: [{ label: 'taskmaster', dir: '/repo' }],
      quick: false,
      help: false,
    });
    expect(parse('--quick').runs).toBe(1);
    expect(parse('--quick', '--runs', '3').runs).toBe(3);
  });

  it('compares labelled builds side by side', () => {
    expect(
      parse('--taskmaster', 'before=/work/before', '--taskmaster', 'after=/work/after').taskmasters,
    ).toEqual([
      { label: 'before', dir: '/work/before' },
      { label: 'after', dir: '/work/after' },
    ]);
    expect(() => parse('--taskmaster', '/a', '--taskmaster', 'b=/b')).toThrow(
      '--taskmaster: give each build a label when there are several (before=DIR)',
    );
    expect(() => parse('--taskmaster', 'pm2=/a')).toThrow('--taskmaster: the label "pm2" is taken');
  });

  it('leaves taskmaster out when --only does', () => {
    expect(parse('--only', 'supervisor,pm2')).toMatchObject({
      only: ['supervisor', 'pm2'],
      taskmasters: [],
    });
  });

  it('says what was wrong with a bad option', () => {
    expect(() => parse('--runs', '0')).toThrow('--runs: expected a whole number ≥ 1, found 0');
    expect(() => parse('--runs')).toThrow('--runs: expected a value');
    expect(() => parse('--only', 'systemd')).toThrow(
      '--only: expected some of taskmaster,supervisor,pm2, found systemd',
    );
    expect(() => parse('--fast')).toThrow('unknown option --fast');
  });
});
