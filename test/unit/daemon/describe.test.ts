import { describe, expect, it } from 'vitest';
import { describeEvent, describePlan } from '../../../src/daemon/describe.js';
import type { StoredEvent } from '../../../src/domain/types.js';
import { makeSpec } from '../../helpers/spec.js';
import { makeStoredEvent } from '../../helpers/events.js';

/** The daemon log's words for transitions and reloads, verbatim. */

const ev = (overrides: Partial<StoredEvent>) => makeStoredEvent({ atMs: 0, ...overrides });

describe('describeEvent', () => {
  it('starting names the cause', () => {
    expect(describeEvent(ev({ to: 'starting', cause: 'autostart' }))).toBe(
      'web:0: starting (autostart)',
    );
    expect(describeEvent(ev({ from: 'backoff', to: 'starting', cause: 'retry', retries: 1 }))).toBe(
      'web:0: starting (retry)',
    );
  });

  it('running names the pid', () => {
    expect(describeEvent(ev({ from: 'starting', to: 'running', cause: 'timeout', pid: 42 }))).toBe(
      'web:0: running pid 42',
    );
  });

  it('backoff says why the start failed and when it is retried', () => {
    expect(
      describeEvent(
        ev({ from: 'starting', to: 'backoff', cause: 'exit', pid: 42, exitCode: 1, retries: 1 }),
      ),
    ).toBe('web:0: start failed (exited exit code 1) pid 42, retry 1 in 1 s');
    expect(
      describeEvent(
        ev({
          from: 'starting',
          to: 'backoff',
          cause: 'spawn-error',
          retries: 2,
          message: 'no such file: /usr/bin/nope',
        }),
      ),
    ).toBe('web:0: start failed (spawn error: no such file: /usr/bin/nope), retry 2 in 2 s');
    expect(
      describeEvent(
        ev({
          from: 'starting',
          to: 'backoff',
          cause: 'exit',
          pid: 7,
          signal: 'SIGSEGV',
          retries: 3,
        }),
      ),
    ).toBe('web:0: start failed (exited killed by SIGSEGV) pid 7, retry 3 in 3 s');
  });

  it('a crash-loop wait and a transient failure say how long they wait (issue 7)', () => {
    expect(
      describeEvent(ev({ from: 'exited', to: 'backoff', cause: 'crash-loop', waitMs: 400 })),
    ).toBe('web:0: crash loop: restarting in 0.4 s');
    expect(
      describeEvent(
        ev({
          from: 'starting',
          to: 'backoff',
          cause: 'spawn-error',
          retries: 0,
          waitMs: 1000,
          message: 'cannot open /srv/web.log: EMFILE (too many open files)',
        }),
      ),
    ).toBe(
      'web:0: start failed (spawn error: cannot open /srv/web.log: EMFILE (too many open files)), trying again in 1 s (not counted)',
    );
  });

  it('fatal counts the failed starts: the first try and every retry', () => {
    expect(
      describeEvent(ev({ from: 'starting', to: 'fatal', cause: 'exit', exitCode: 2, retries: 3 })),
    ).toBe('web:0: gave up after 4 failed starts (exited exit code 2)');
    expect(
      describeEvent(
        ev({
          from: 'starting',
          to: 'fatal',
          cause: 'spawn-error',
          retries: 0,
          message: 'not executable: /srv/run',
        }),
      ),
    ).toBe('web:0: gave up after 1 failed start (spawn error: not executable: /srv/run)');
  });

  it('exited gives the exit code, or the signal, or nothing when unknown', () => {
    const exited = { from: 'running', to: 'exited', cause: 'exit', pid: 42 } as const;
    expect(describeEvent(ev({ ...exited, exitCode: 0 }))).toBe('web:0: exited exit code 0 pid 42');
    expect(describeEvent(ev({ ...exited, signal: 'SIGKILL' }))).toBe(
      'web:0: exited killed by SIGKILL pid 42',
    );
    // an adopted process's status belongs to its real parent
    expect(describeEvent(ev(exited))).toBe('web:0: exited pid 42');
  });

  it('a signal wins over an exit code when both are set', () => {
    expect(
      describeEvent(
        ev({ from: 'running', to: 'exited', cause: 'exit', exitCode: 1, signal: 'SIGTERM' }),
      ),
    ).toBe('web:0: exited killed by SIGTERM');
  });

  it('stopping and stopped name the cause and the pid', () => {
    expect(describeEvent(ev({ from: 'running', to: 'stopping', cause: 'user', pid: 42 }))).toBe(
      'web:0: stopping (user) pid 42',
    );
    expect(
      describeEvent(
        ev({ from: 'stopping', to: 'stopped', cause: 'user', pid: 42, signal: 'SIGTERM' }),
      ),
    ).toBe('web:0: stopped (user) killed by SIGTERM pid 42');
    expect(describeEvent(ev({ from: 'backoff', to: 'stopped', cause: 'shutdown' }))).toBe(
      'web:0: stopped (shutdown)',
    );
  });
});

describe('describePlan', () => {
  const web = makeSpec({ name: 'web' });
  const db = makeSpec({ name: 'db' });

  it('says "no change" for an empty plan or one where nothing changed', () => {
    expect(describePlan([])).toBe('no change');
    expect(
      describePlan([
        { kind: 'unchanged', spec: web },
        { kind: 'unchanged', spec: db },
      ]),
    ).toBe('no change');
  });

  it('lists each change, in plan order, skipping the unchanged', () => {
    expect(
      describePlan([
        { kind: 'removed', spec: makeSpec({ name: 'old' }) },
        { kind: 'unchanged', spec: db },
        { kind: 'added', spec: makeSpec({ name: 'new' }) },
        {
          kind: 'changed',
          spec: web,
          keys: ['argv', 'env'],
          restart: true,
          restartIndexes: [0],
          addedIndexes: [],
          removedIndexes: [],
        },
        {
          kind: 'changed',
          spec: makeSpec({ name: 'worker' }),
          keys: ['stopTimeMs', 'numprocs'],
          restart: false,
          restartIndexes: [],
          addedIndexes: [1],
          removedIndexes: [],
        },
      ]),
    ).toBe(
      'removed old; added new; restarted web (cmd, env); updated in place worker (stoptime, numprocs)',
    );
  });
});
