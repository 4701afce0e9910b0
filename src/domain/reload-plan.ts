import type { ProgramSpec } from './types.js';

/** A key of ProgramSpec a reload compares (an instance's own values are compared as its keys). */
export type SpecKey = Exclude<keyof ProgramSpec, 'name' | 'perInstance'>;

/**
 * What a reload changes, program by program (ARCHITECTURE.md), as config/diff.ts computes it; the
 * supervisor machine turns it into events for the instances.
 */
export type ProgramChange =
  | { kind: 'added'; spec: ProgramSpec }
  | { kind: 'removed'; spec: ProgramSpec }
  | { kind: 'unchanged'; spec: ProgramSpec }
  | {
      kind: 'changed';
      spec: ProgramSpec;
      /**
       * The keys that differ for at least one instance kept (restart keys, then supervision
       * keys, then numprocs); for the log.
       */
      keys: readonly SpecKey[];
      /** True when a key that shapes the process itself changed for at least one instance. */
      restart: boolean;
      /**
       * The instances kept whose process must be restarted: all of them when a restart key
       * changed for the program, only some when expansions made their values differ
       * (`%(process_num)d` written where a fixed value was).
       */
      restartIndexes: readonly number[];
      /** Instances that `numprocs` adds or takes away (highest indexes first for the latter). */
      addedIndexes: readonly number[];
      removedIndexes: readonly number[];
    };

export type ReloadPlan = readonly ProgramChange[];
