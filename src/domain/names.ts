import { TaskmasterError } from './errors.js';
import { suggestSimilar } from './suggest-similar.js';

/** `web:3` — the one way an instance is printed. */
export function instanceName(program: string, index: number): string {
  return `${program}:${index}`;
}

export function parseInstanceName(name: string): { program: string; index: number } {
  const at = name.lastIndexOf(':');
  return { program: name.slice(0, at), index: Number(name.slice(at + 1)) };
}

/**
 * Resolves what a user typed (`web:3`, `web`, `web:*`, `all`) against the programs that exist,
 * each with its number of instances. Unknown names are errors that name them (docs/tm.md).
 */
export function resolveTargets(
  targets: readonly string[],
  programs: ReadonlyMap<string, number>,
): string[] {
  const out = new Set<string>();
  for (const target of targets) {
    if (target === 'all') {
      for (const [program, numprocs] of programs) addAll(out, program, numprocs);
      continue;
    }
    const colon = target.lastIndexOf(':');
    const program = colon === -1 ? target : target.slice(0, colon);
    const index = colon === -1 ? '*' : target.slice(colon + 1);
    const numprocs = programs.get(program);
    if (numprocs === undefined) {
      const hint = suggestSimilar(program, [...programs.keys()]);
      throw new TaskmasterError(
        'NO_SUCH_PROGRAM',
        `no such program: ${program}${hint === null ? '' : ` (did you mean ${hint}?)`}`,
      );
    }
    if (index === '*') {
      addAll(out, program, numprocs);
    } else if (/^\d+$/.test(index) && Number(index) < numprocs) {
      out.add(instanceName(program, Number(index)));
    } else {
      throw new TaskmasterError(
        'NO_SUCH_PROGRAM',
        `no such instance: ${target} (${program} has ${program}:0 to ${program}:${numprocs - 1})`,
      );
    }
  }
  return [...out];
}

function addAll(out: Set<string>, program: string, numprocs: number): void {
  for (let i = 0; i < numprocs; i++) out.add(instanceName(program, i));
}
