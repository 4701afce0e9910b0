import type { ReloadPlan } from '../config/diff.js';
import { configKeyOf } from '../config/program-keys.js';
import type { StoredEvent } from '../domain/types.js';

/** One daemon-log line for a transition, in words (as in README.md § Running it). */
export function describeEvent(e: StoredEvent): string {
  const pid = e.pid === null ? '' : ` pid ${e.pid}`;
  const how =
    e.signal !== null
      ? ` killed by ${e.signal}`
      : e.exitCode !== null
        ? ` exit code ${e.exitCode}`
        : '';
  // why a start failed: the spawn error, or how the process ended
  const failed =
    e.cause === 'spawn-error' ? `spawn error: ${e.message ?? 'unknown'}` : `exited${how}`;
  const starts = e.retries === 0 ? '1 failed start' : `${e.retries + 1} failed starts`;
  switch (e.to) {
    case 'starting':
      return `${e.name}: starting (${e.cause})`;
    case 'running':
      return `${e.name}: running${pid}`;
    case 'backoff': {
      const wait = `${(e.waitMs ?? e.retries * 1000) / 1000} s`;
      if (e.cause === 'crash-loop') return `${e.name}: crash loop: restarting in ${wait}`;
      // a transient failure (out of descriptors) is not one of the retries startretries counts
      if (e.waitMs !== null && e.waitMs !== e.retries * 1000) {
        return `${e.name}: start failed (${failed})${pid}, trying again in ${wait} (not counted)`;
      }
      return `${e.name}: start failed (${failed})${pid}, retry ${e.retries} in ${wait}`;
    }
    case 'fatal':
      return `${e.name}: gave up after ${starts} (${failed})`;
    case 'exited':
      return `${e.name}: exited${how}${pid}`;
    case 'stopping':
      return `${e.name}: stopping (${e.cause})${pid}`;
    case 'stopped':
      return `${e.name}: stopped (${e.cause})${how}${pid}`;
  }
}

/** What a reload did, for the daemon log and for `tm reload`. */
export function describePlan(plan: ReloadPlan): string {
  const parts: string[] = [];
  for (const change of plan) {
    const name = change.spec.name;
    switch (change.kind) {
      case 'added':
        parts.push(`added ${name}`);
        break;
      case 'removed':
        parts.push(`removed ${name}`);
        break;
      case 'changed':
        parts.push(
          `${change.restart ? 'restarted' : 'updated in place'} ${name} (${[...new Set(change.keys.map(configKeyOf))].join(', ')})`,
        );
        break;
      case 'unchanged':
        break;
    }
  }
  return parts.length === 0 ? 'no change' : parts.join('; ');
}
