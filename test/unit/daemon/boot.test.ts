import { describe, expect, it } from 'vitest';
import { bootDecision } from '../../../src/daemon/boot.js';
import type { State } from '../../../src/domain/types.js';
import type { Recovered } from '../../../src/eventlog/replay.js';
import { makeSpec } from '../../helpers/spec.js';

/** How each instance begins when the daemon starts, from what its previous run left. */

const AUTO = makeSpec({ autostart: true });
const MANUAL = makeSpec({ autostart: false });

function recovered(state: State, intent: Recovered['intent'], retries = 2): Recovered {
  return { name: 'web:0', state, retries, atMs: 0, intent };
}

const LIVE: State[] = ['starting', 'running', 'backoff'];
/** stopping is not live here: the process was on its way out when the daemon died. */
const RESTING: State[] = ['stopped', 'exited', 'fatal', 'stopping'];

describe('bootDecision', () => {
  it('an instance the log never heard of follows autostart', () => {
    expect(bootDecision(AUTO, undefined)).toEqual({ startCause: 'autostart', retries: 0 });
    expect(bootDecision(MANUAL, undefined)).toEqual({ startCause: null, retries: 0 });
  });

  it.each([...LIVE, ...RESTING])(
    'what a user stopped stays stopped, even with autostart (was %s)',
    (state) => {
      expect(bootDecision(AUTO, recovered(state, 'stop'))).toEqual({
        startCause: null,
        retries: 0,
      });
      expect(bootDecision(MANUAL, recovered(state, 'stop'))).toEqual({
        startCause: null,
        retries: 0,
      });
    },
  );

  it.each(LIVE)(
    'an instance that was %s when the daemon died is started again, its retries kept',
    (state) => {
      for (const spec of [AUTO, MANUAL]) {
        for (const intent of ['start', null] as const) {
          expect(bootDecision(spec, recovered(state, intent, 2))).toEqual({
            startCause: 'replay',
            retries: 2,
          });
        }
      }
    },
  );

  it.each(RESTING)(
    'what a user started is started again from scratch, even without autostart (was %s)',
    (state) => {
      expect(bootDecision(MANUAL, recovered(state, 'start', 2))).toEqual({
        startCause: 'replay',
        retries: 0,
      });
      expect(bootDecision(AUTO, recovered(state, 'start', 2))).toEqual({
        startCause: 'replay',
        retries: 0,
      });
    },
  );

  it.each(RESTING)('with no user intent, a %s instance follows autostart', (state) => {
    expect(bootDecision(AUTO, recovered(state, null, 2))).toEqual({
      startCause: 'autostart',
      retries: 0,
    });
    expect(bootDecision(MANUAL, recovered(state, null, 2))).toEqual({
      startCause: null,
      retries: 0,
    });
  });
});
