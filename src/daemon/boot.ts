import type { BootDecision } from '../../machines/supervisor.machine.js';
import type { Recovered } from '../eventlog/replay.js';
import type { ProgramSpec } from '../domain/types.js';

/**
 * How an instance begins when the daemon starts, from what its previous run recorded (README.md):
 * what a user stopped stays stopped, what a user started is started, an instance that was live
 * when the daemon died is started again with its retry count, and the rest follows autostart.
 * A process still alive from the previous run is adopted instead (see main.ts), never restarted.
 */
export function bootDecision(spec: ProgramSpec, recovered: Recovered | undefined): BootDecision {
  if (recovered === undefined)
    return { startCause: spec.autostart ? 'autostart' : null, retries: 0 };
  if (recovered.intent === 'stop') return { startCause: null, retries: 0 };
  const wasLive = ['starting', 'running', 'backoff'].includes(recovered.state);
  if (wasLive) return { startCause: 'replay', retries: recovered.retries };
  if (recovered.intent === 'start') return { startCause: 'replay', retries: 0 };
  return { startCause: spec.autostart ? 'autostart' : null, retries: 0 };
}
