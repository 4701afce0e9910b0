// Types of options.mjs, for its unit test (test/unit/bench/peers-options.test.ts).
export const SYSTEMS: readonly ['taskmaster', 'supervisor', 'pm2'];
export const USAGE: string;
export type Options = {
  runs: number;
  only: string[];
  taskmasters: { label: string; dir: string }[];
  quick: boolean;
  help: boolean;
};
export function parseOptions(argv: readonly string[], repoRoot: string): Options;
