import type { ProgramSpec } from '../domain/types.js';

/**
 * What a reload changes, program by program (SPEC §4), after Supervisor's `diff_to_active`.
 * Pure: the supervisor machine turns it into events for the instances.
 */
export type ProgramChange =
  | { kind: 'added'; spec: ProgramSpec }
  | { kind: 'removed'; spec: ProgramSpec }
  | { kind: 'unchanged'; spec: ProgramSpec }
  | {
      kind: 'changed';
      spec: ProgramSpec;
      /** The keys that differ, in the order of the ProgramSpec type; for the reload's log line. */
      keys: readonly SpecKey[];
      /** True when a key that shapes the process itself changed: its instances are restarted. */
      restart: boolean;
      /** Instances that `numprocs` adds or takes away (highest indexes first for the latter). */
      addedIndexes: readonly number[];
      removedIndexes: readonly number[];
    };

export type ReloadPlan = readonly ProgramChange[];

type SpecKey = Exclude<keyof ProgramSpec, 'name'>;

/** Keys whose change needs a new process (SPEC §4, third row). `cmd` is compared as its argv. */
export const RESTART_KEYS = [
  'argv',
  'env',
  'workingdir',
  'umask',
  'user',
  'stdout',
  'stderr',
] as const satisfies readonly SpecKey[];

/** Keys applied in place: the processes keep running with the same pid. */
export const SUPERVISION_KEYS = [
  'autostart',
  'autorestart',
  'exitcodes',
  'startTimeMs',
  'startRetries',
  'stopSignal',
  'stopTimeMs',
  'priority',
] as const satisfies readonly SpecKey[];

export function diff(old: readonly ProgramSpec[], next: readonly ProgramSpec[]): ReloadPlan {
  const before = new Map(old.map((s) => [s.name, s]));
  const after = new Set(next.map((s) => s.name));
  const plan: ProgramChange[] = old
    .filter((s) => !after.has(s.name))
    .map((spec) => ({ kind: 'removed', spec }));
  for (const spec of next) {
    const prev = before.get(spec.name);
    if (prev === undefined) {
      plan.push({ kind: 'added', spec });
      continue;
    }
    const keys = changedKeys(prev, spec);
    if (keys.length === 0) {
      plan.push({ kind: 'unchanged', spec });
      continue;
    }
    plan.push({
      kind: 'changed',
      spec,
      keys,
      restart: keys.some((k) => (RESTART_KEYS as readonly string[]).includes(k)),
      addedIndexes: range(prev.numprocs, spec.numprocs),
      removedIndexes: range(spec.numprocs, prev.numprocs).reverse(),
    });
  }
  return plan;
}

function changedKeys(a: ProgramSpec, b: ProgramSpec): SpecKey[] {
  // `cmd` is the text the user wrote; two spellings of one argv are the same program
  const keys = [...RESTART_KEYS, ...SUPERVISION_KEYS, 'numprocs'] as const;
  return keys.filter((k) => !same(a[k], b[k]));
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

/** Key order of an env mapping is not a change. */
function canonical(v: unknown): unknown {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
  return Object.fromEntries(Object.entries(v).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)));
}

function range(from: number, to: number): number[] {
  const out: number[] = [];
  for (let i = from; i < to; i++) out.push(i);
  return out;
}
