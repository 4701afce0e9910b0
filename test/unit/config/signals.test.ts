import { describe, expect, it } from 'vitest';
import { parseSignal, SIGNAL_NAMES } from '../../../src/config/signals.js';

describe('parseSignal', () => {
  it.each([
    ['TERM', 'SIGTERM'],
    ['SIGTERM', 'SIGTERM'],
    ['term', 'SIGTERM'],
    ['sigusr1', 'SIGUSR1'],
    ['15', 'SIGTERM'],
    [15, 'SIGTERM'],
    [9, 'SIGKILL'],
    ['HUP', 'SIGHUP'],
    [6, 'SIGABRT'], // shared with SIGIOT: the first name wins
    ['IOT', 'SIGIOT'],
  ])('reads %j as %s', (value, name) => {
    expect(parseSignal(value)).toBe(name);
  });

  it.each(['TRM', 'SIG', '', 'SIGTERM ', '-15', '1.5', 0, 99, -1, 1.5])('refuses %j', (value) => {
    expect(parseSignal(value)).toBeNull();
  });

  it('lists names without the SIG prefix', () => {
    expect(SIGNAL_NAMES).toContain('TERM');
    expect(SIGNAL_NAMES).toContain('USR1');
    expect(SIGNAL_NAMES).not.toContain('SIGTERM');
  });
});
