import type { ProgramSpec } from './types.js';

export type SpecKey = Exclude<keyof ProgramSpec, 'name'>;

/**
 * What a reload changes, program by program (SPEC §4), as config/diff.ts computes it; the
 * supervisor machine turns it into events for the instances.
 */
export type ProgramChange =
  | { kind: 'added'; spec: ProgramSpec }
  | { kind: 'removed'; spec: ProgramSpec }
  | { kind: 'unchanged'; spec: ProgramSpec }
  | {
      kind: 'changed';
      spec: ProgramSpec;
      /** The keys that differ (restart keys, then supervision keys, then numprocs); for the log. */
      keys: readonly SpecKey[];
      /** True when a key that shapes the process itself changed: its instances are restarted. */
      restart: boolean;
      /** Instances that `numprocs` adds or takes away (highest indexes first for the latter). */
      addedIndexes: readonly number[];
      removedIndexes: readonly number[];
    };

export type ReloadPlan = readonly ProgramChange[];
