import type { ProgramChange, ReloadPlan, SpecKey } from '../domain/reload-plan.js';
import type { ProgramSpec } from '../domain/types.js';
import { IN_PLACE_FIELDS, RESTART_FIELDS } from './program-keys.js';

export type { ProgramChange, ReloadPlan } from '../domain/reload-plan.js';

/** Keys whose change needs a new process. `cmd` is compared as its argv. */
export const RESTART_KEYS = RESTART_FIELDS;

/** Keys applied in place: the processes keep running with the same pid. */
export const SUPERVISION_KEYS = IN_PLACE_FIELDS;

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
