import type { ProgramSpec } from './types.js';

/**
 * The spec of one instance of a program: the program's, with the values its expansions gave
 * this index (`%(process_num)d`). The spec itself when its instances do not differ, so that
 * the instances of such a program share one object.
 */
export function instanceSpec(spec: ProgramSpec, index: number): ProgramSpec {
  const own = spec.perInstance?.[index];
  if (own === undefined) return spec;
  const instance: ProgramSpec = { ...spec, ...own };
  // an instance's spec is final: read again as a program's, it would give instance 0's values
  delete instance.perInstance;
  return instance;
}

/** The spec of each instance of a program, by index. */
export function instanceSpecs(spec: ProgramSpec): ProgramSpec[] {
  return Array.from({ length: spec.numprocs }, (_, i) => instanceSpec(spec, i));
}
