import type { ProgramChange, ReloadPlan, SpecKey } from '../domain/reload-plan.js';
import { instanceSpec } from '../domain/instance-spec.js';
import type { ProgramSpec } from '../domain/types.js';
import { IN_PLACE_FIELDS, RESTART_FIELDS } from './program-keys.js';

export type { ProgramChange, ReloadPlan } from '../domain/reload-plan.js';

/** Keys whose change needs a new process. `cmd` is compared as its argv. */
export const RESTART_KEYS = RESTART_FIELDS;

/** Keys applied in place: the processes keep running with the same pid. */
export const SUPERVISION_KEYS = IN_PLACE_FIELDS;

/**
 * What a reload changes. Programs are compared instance by instance, with each one's expanded
 * values (instanceSpec): a change of numprocs that a `%(numprocs)d` sees restarts the instances
 * kept, and a template whose expansions are unchanged changes nothing.
 */
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
    const { keys, restartIndexes } = compareKept(prev, spec);
    if (keys.length === 0) {
      plan.push({ kind: 'unchanged', spec });
      continue;
    }
    plan.push({
      kind: 'changed',
      spec,
      keys,
      restart: restartIndexes.length > 0,
      restartIndexes,
      addedIndexes: range(prev.numprocs, spec.numprocs),
      removedIndexes: range(spec.numprocs, prev.numprocs).reverse(),
    });
  }
  return plan;
}

/** The keys that differ for the instances both configs have, and those to restart. */
function compareKept(
  prev: ProgramSpec,
  spec: ProgramSpec,
): { keys: SpecKey[]; restartIndexes: number[] } {
  const kept = Math.min(prev.numprocs, spec.numprocs);
  // without per-instance values every instance is the program: one comparison says it for all
  const compared = prev.perInstance === undefined && spec.perInstance === undefined ? 1 : kept;
  const changed = new Set<SpecKey>();
  const restartIndexes: number[] = [];
  for (let i = 0; i < compared; i++) {
    const keys = changedKeys(instanceSpec(prev, i), instanceSpec(spec, i));
    for (const k of keys) changed.add(k);
    if (keys.some(isRestartKey)) restartIndexes.push(i);
  }
  const isAll = compared === 1 && restartIndexes.length === 1;
  return {
    keys: KEYS.filter((k) => changed.has(k)),
    restartIndexes: isAll ? range(0, kept) : restartIndexes,
  };
}

function isRestartKey(k: SpecKey): boolean {
  return (RESTART_KEYS as readonly string[]).includes(k);
}

// `cmd` is the text the user wrote; two spellings of one argv are the same program
const KEYS = [...RESTART_KEYS, ...SUPERVISION_KEYS, 'numprocs'] as const;

function changedKeys(a: ProgramSpec, b: ProgramSpec): SpecKey[] {
  return KEYS.filter((k) => !same(a[k], b[k]));
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
