import type { StoredEvent, TransitionEvent } from '../../src/domain/types.js';

/** A transition of web:0, stopped -> starting (autostart), at 1000 ms; change what the test needs. */
export function makeEvent(overrides: Partial<TransitionEvent> = {}): TransitionEvent {
  return {
    atMs: 1000,
    name: 'web:0',
    from: 'stopped',
    to: 'starting',
    cause: 'autostart',
    pid: null,
    exitCode: null,
    signal: null,
    retries: 0,
    message: null,
    waitMs: null,
    expected: null,
    ...overrides,
  };
}

/** The same as stored: seq 1 of revision 1. */
export function makeStoredEvent(overrides: Partial<StoredEvent> = {}): StoredEvent {
  return { seq: 1, revision: 1, ...makeEvent(), ...overrides };
}
