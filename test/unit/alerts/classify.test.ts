import { describe, expect, it } from 'vitest';
import { alertKindsOf, alertOf, isRun } from '../../../src/alerts/classify.js';
import type { StoredEvent } from '../../../src/domain/types.js';
import { makeStoredEvent } from '../../helpers/events.js';

/** Issue 9: what each row the instance machine records is worth, read from the row alone. */

const row = (o: Partial<StoredEvent>) => makeStoredEvent(o);
const exit = { pid: 42, exitCode: 1, expected: false };

describe('alertKindsOf', () => {
  it.each<[string, Partial<StoredEvent>, string[]]>([
    [
      'a give-up after an exit',
      { from: 'starting', to: 'fatal', cause: 'exit', ...exit },
      ['fatal', 'unexpected'],
    ],
    [
      'a give-up after a spawn error',
      { from: 'starting', to: 'fatal', cause: 'spawn-error', message: 'no such file: /nope' },
      ['fatal', 'spawn-error'],
    ],
    [
      'a spawn error, retried',
      { from: 'starting', to: 'backoff', cause: 'spawn-error', waitMs: 1000 },
      ['spawn-error'],
    ],
    [
      'a failed start by an exit',
      { from: 'starting', to: 'backoff', cause: 'exit', waitMs: 1000, ...exit },
      ['unexpected'],
    ],
    [
      'a failed start by an exit with an expected code: not unexpected',
      {
        from: 'starting',
        to: 'backoff',
        cause: 'exit',
        waitMs: 1000,
        ...exit,
        exitCode: 0,
        expected: true,
      },
      [],
    ],
    [
      'an unexpected exit',
      { from: 'running', to: 'exited', cause: 'exit', ...exit },
      ['unexpected'],
    ],
    [
      'death by signal (recorded unexpected)',
      { from: 'running', to: 'exited', cause: 'exit', pid: 42, signal: 'SIGKILL', expected: false },
      ['unexpected'],
    ],
    [
      'an expected exit',
      { from: 'running', to: 'exited', cause: 'exit', pid: 42, exitCode: 0, expected: true },
      [],
    ],
    [
      'the crash-loop throttle',
      { from: 'exited', to: 'backoff', cause: 'crash-loop', waitMs: 400 },
      ['crash-loop'],
    ],
    ['a restart at once', { from: 'exited', to: 'starting', cause: 'exit' }, []],
    [
      'an exit a stop asked for',
      {
        from: 'stopping',
        to: 'stopped',
        cause: 'user',
        pid: 42,
        signal: 'SIGTERM',
        expected: true,
      },
      [],
    ],
    ['a start', { from: 'stopped', to: 'starting', cause: 'user' }, []],
    [
      'a stop before the spawn',
      { from: 'stopping', to: 'stopped', cause: 'user', message: 'stopped before it was spawned' },
      [],
    ],
  ])('%s', (_, o, kinds) => {
    expect(alertKindsOf(row(o))).toEqual(kinds);
  });
});

describe('alertOf', () => {
  it('takes the worst kind the config asks for', () => {
    const fatalSpawn = row({ from: 'starting', to: 'fatal', cause: 'spawn-error' });
    expect(alertOf(fatalSpawn, ['spawn-error', 'fatal'])).toBe('fatal');
    expect(alertOf(fatalSpawn, ['spawn-error'])).toBe('spawn-error');
    expect(alertOf(fatalSpawn, ['unexpected'])).toBeNull();
  });
});

describe('isRun', () => {
  it('is a start that lasted its starttime, not an adoption', () => {
    expect(isRun(row({ from: 'starting', to: 'running', cause: 'timeout', pid: 42 }))).toBe(true);
    expect(isRun(row({ from: 'stopped', to: 'running', cause: 'adopted', pid: 42 }))).toBe(false);
  });
});
