import { describe, expect, it } from 'vitest';
import { TaskmasterError } from '../../../src/domain/errors.js';
import { instanceName, parseInstanceName, resolveTargets } from '../../../src/domain/names.js';

/** Instance names and the forms a user may type (docs/tm.md § Commands). */

const PROGRAMS = new Map([
  ['web', 4],
  ['nginx', 1],
  ['db', 2],
]);

function thrown(fn: () => unknown): TaskmasterError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(TaskmasterError);
    return error as TaskmasterError;
  }
  throw new Error('expected a TaskmasterError, nothing was thrown');
}

describe('instanceName / parseInstanceName', () => {
  it('print and read PROGRAM:N', () => {
    expect(instanceName('web', 3)).toBe('web:3');
    expect(instanceName('nginx', 0)).toBe('nginx:0');
    expect(parseInstanceName('web:3')).toEqual({ program: 'web', index: 3 });
  });

  it('split at the last colon', () => {
    expect(parseInstanceName('a:b:12')).toEqual({ program: 'a:b', index: 12 });
  });
});

describe('resolveTargets', () => {
  it('web:3 is one instance', () => {
    expect(resolveTargets(['web:3'], PROGRAMS)).toEqual(['web:3']);
    expect(resolveTargets(['nginx:0'], PROGRAMS)).toEqual(['nginx:0']);
  });

  it('web and web:* are every instance of the program', () => {
    expect(resolveTargets(['web'], PROGRAMS)).toEqual(['web:0', 'web:1', 'web:2', 'web:3']);
    expect(resolveTargets(['web:*'], PROGRAMS)).toEqual(['web:0', 'web:1', 'web:2', 'web:3']);
  });

  it('all is every instance of every program', () => {
    expect(resolveTargets(['all'], PROGRAMS)).toEqual([
      'web:0',
      'web:1',
      'web:2',
      'web:3',
      'nginx:0',
      'db:0',
      'db:1',
    ]);
  });

  it('collapses duplicates, keeping the order of first mention', () => {
    expect(resolveTargets(['db:1', 'web:2', 'db', 'web:2', 'web:*'], PROGRAMS)).toEqual([
      'db:1',
      'web:2',
      'db:0',
      'web:0',
      'web:1',
      'web:3',
    ]);
    expect(resolveTargets(['nginx', 'all', 'nginx:0'], PROGRAMS)).toHaveLength(7);
  });

  it('no targets resolve to no instances', () => {
    expect(resolveTargets([], PROGRAMS)).toEqual([]);
    expect(resolveTargets(['all'], new Map())).toEqual([]);
  });

  it('an unknown program is an error naming it, with a suggestion', () => {
    const error = thrown(() => resolveTargets(['ngnix'], PROGRAMS));
    expect(error.code).toBe('NO_SUCH_PROGRAM');
    expect(error.message).toBe('no such program: ngnix (did you mean nginx?)');
    expect(thrown(() => resolveTargets(['ngnix:0'], PROGRAMS)).message).toBe(
      'no such program: ngnix (did you mean nginx?)',
    );
    expect(thrown(() => resolveTargets(['ngnix:*'], PROGRAMS)).message).toBe(
      'no such program: ngnix (did you mean nginx?)',
    );
  });

  it('an unknown program with nothing like it is named without a suggestion', () => {
    const error = thrown(() => resolveTargets(['web:0', 'zzzzzz'], PROGRAMS));
    expect(error.code).toBe('NO_SUCH_PROGRAM');
    expect(error.message).toBe('no such program: zzzzzz');
  });

  it('an index out of range is an error naming the instances that exist', () => {
    const error = thrown(() => resolveTargets(['web:4'], PROGRAMS));
    expect(error.code).toBe('NO_SUCH_PROGRAM');
    expect(error.message).toBe('no such instance: web:4 (web has web:0 to web:3)');
    expect(thrown(() => resolveTargets(['nginx:1'], PROGRAMS)).message).toBe(
      'no such instance: nginx:1 (nginx has nginx:0 to nginx:0)',
    );
  });

  it.each(['web:-1', 'web:x', 'web:', 'web:1.5', 'web: 1'])('%s is no instance', (target) => {
    expect(thrown(() => resolveTargets([target], PROGRAMS)).message).toBe(
      `no such instance: ${target} (web has web:0 to web:3)`,
    );
  });
});
