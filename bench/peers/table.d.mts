// Types of table.mjs, for its unit test (test/unit/bench/peers-table.test.ts).
export type Unit = 'ms' | 'MiB' | 'count';
export type Summary = { median: number; min: number; max: number; n: number };
export type Figure = { id: string; label: string; unit: Unit; ratio: boolean };
export type System = { label: string; isTaskmaster: boolean };
export function median(xs: readonly number[]): number;
export function summarize(xs: readonly number[]): Summary | null;
export function formatNumber(v: number, unit: Unit): string;
export function formatCell(summary: Summary | null, unit: Unit): string;
export function formatRatio(tm: Summary | null, peers: readonly (Summary | null)[]): string;
export function formatTable(input: {
  figures: readonly Figure[];
  systems: readonly System[];
  results: Map<string, Map<string, number[]>>;
}): string;
