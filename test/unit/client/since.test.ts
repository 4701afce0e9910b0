import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSince } from '../../../src/client/since.js';
import { UsageError } from '../../../src/client/usage-error.js';

// local times are read in a zone with an offset, so that a UTC mix-up shows
const zone = process.env.TZ;
beforeAll(() => {
  process.env.TZ = 'Europe/Paris';
});
afterAll(() => {
  if (zone === undefined) delete process.env.TZ;
  else process.env.TZ = zone;
});

const NOW = Date.UTC(2026, 10, 24, 20, 25, 10, 703); // 21:25:10.703 in Paris

describe('parseSince', () => {
  it('reads durations back from now', () => {
    expect(parseSince('30s', NOW)).toBe(NOW - 30_000);
    expect(parseSince('10m', NOW)).toBe(NOW - 600_000);
    expect(parseSince('2h', NOW)).toBe(NOW - 7_200_000);
    expect(parseSince('1d', NOW)).toBe(NOW - 86_400_000);
    expect(parseSince('1.5m', NOW)).toBe(NOW - 90_000);
  });

  it('reads epoch milliseconds', () => {
    expect(parseSince('1795556328921', NOW)).toBe(1795556328921);
  });

  it('reads dates and times in local time, unless they name their zone', () => {
    expect(parseSince('2026-11-24', NOW)).toBe(Date.UTC(2026, 10, 23, 23, 0));
    expect(parseSince('2026-11-24 21:25', NOW)).toBe(Date.UTC(2026, 10, 24, 20, 25));
    expect(parseSince('2026-11-24T21:25:10.703', NOW)).toBe(NOW);
    expect(parseSince('2026-11-24T20:25:10.703Z', NOW)).toBe(NOW);
    expect(parseSince('2026-11-24T22:25:10+0200', NOW)).toBe(NOW - 703);
    expect(parseSince('2026-11-24T22:25:10+02:00', NOW)).toBe(NOW - 703);
  });

  it('reads a time of day as today', () => {
    expect(parseSince('21:25', NOW)).toBe(Date.UTC(2026, 10, 24, 20, 25));
    expect(parseSince('9:05:30', NOW)).toBe(Date.UTC(2026, 10, 24, 8, 5, 30));
  });

  it('refuses anything else, saying what it takes', () => {
    for (const bad of ['yesterday', '10 minutes', '2026-02-30', '25:00', '2026-13-01', '-5m', '']) {
      expect(() => parseSince(bad, NOW), bad).toThrow(UsageError);
    }
    expect(() => parseSince('soon', NOW)).toThrow(
      '--since: expected a time like 2026-11-24 21:25, 21:25, 30s, 10m, 2h, 1d or epoch ms, found "soon"',
    );
  });
});
