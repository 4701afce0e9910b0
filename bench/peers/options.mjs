// The command line of `npm run bench:peers -- [options]`.
import { resolve } from 'node:path';

export const SYSTEMS = ['taskmaster', 'supervisor', 'pm2'];

export const USAGE = `usage: npm run bench:peers -- [--runs N] [--only taskmaster,supervisor,pm2]
                              [--taskmaster [LABEL=]DIR]… [--quick]

  --runs N           runs of each scenario (default 5; the slow ones take fewer, see the output)
  --only LIST        which systems to run, comma-separated (default: all three)
  --taskmaster DIR   the taskmaster to run: a checkout with its dist/ built (default: this one);
                     give it again, each with a label (before=/path/a after=/path/b), to compare builds
  --quick            small counts and short waits, to check that the bench works`;

/** Parses argv (without node and the script); `repoRoot` is the default taskmaster. */
export function parseOptions(argv, repoRoot) {
  const opts = { runs: null, only: [...SYSTEMS], taskmasters: [], quick: false, help: false };
  for (let i = 0; i < argv.length; i += 1) {
    const a = argv[i];
    const value = () => {
      const v = argv[i + 1];
      if (v === undefined || v.startsWith('--')) throw new Error(`${a}: expected a value`);
      i += 1;
      return v;
    };
    if (a === '--runs') {
      const v = value();
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1)
        throw new Error(`--runs: expected a whole number ≥ 1, found ${v}`);
      opts.runs = n;
    } else if (a === '--only') {
      const list = value()
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
      const bad = list.filter((s) => !SYSTEMS.includes(s));
      if (bad.length > 0 || list.length === 0) {
        throw new Error(
          `--only: expected some of ${SYSTEMS.join(',')}, found ${bad.join(',') || 'nothing'}`,
        );
      }
      opts.only = list;
    } else if (a === '--taskmaster') {
      const v = value();
      const eq = v.indexOf('=');
      const label = eq === -1 ? null : v.slice(0, eq);
      if (label !== null && !/^[\w.-]+$/.test(label)) {
        throw new Error(
          `--taskmaster: a label is letters, digits, "_", "." or "-", found "${label}"`,
        );
      }
      opts.taskmasters.push({ label, dir: resolve(eq === -1 ? v : v.slice(eq + 1)) });
    } else if (a === '--quick') {
      opts.quick = true;
    } else if (a === '-h' || a === '--help') {
      opts.help = true;
    } else {
      throw new Error(`unknown option ${a}`);
    }
  }
  if (opts.taskmasters.length === 0) opts.taskmasters.push({ label: null, dir: repoRoot });
  if (opts.taskmasters.length > 1 && opts.taskmasters.some((t) => t.label === null)) {
    throw new Error('--taskmaster: give each build a label when there are several (before=DIR)');
  }
  for (const t of opts.taskmasters) t.label ??= 'taskmaster';
  const labels = opts.taskmasters.map((t) => t.label);
  const dup = labels.find((l, i) => labels.indexOf(l) !== i || SYSTEMS.slice(1).includes(l));
  if (dup !== undefined) throw new Error(`--taskmaster: the label "${dup}" is taken`);
  if (!opts.only.includes('taskmaster')) opts.taskmasters = [];
  opts.runs ??= opts.quick ? 1 : 5;
  return opts;
}
