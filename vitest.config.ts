import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { defineConfig } from 'vitest/config';

/**
 * The e2e files first, then integration, then unit: the e2e files are the long ones (a daemon
 * process, children, waits on their clocks), and one of them started last would keep the run
 * going alone after the short files are done. A fresh clone has no timings cached, so vitest
 * alone would order by file size, and the longest e2e file is one of the smallest.
 */
class LongFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const tier = (f: TestSpecification) => {
      const i = ['/test/e2e/', '/test/integration/'].findIndex((dir) => f.moduleId.includes(dir));
      return i === -1 ? 2 : i;
    };
    // sort is stable: within a tier, vitest's order (cached durations, else size) stays
    return (await super.sort(files)).sort((a, b) => tier(a) - tier(b));
  }
}

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    benchmark: { include: ['bench/**/*.bench.ts'] },
    pool: 'forks',
    // Most test time is spent waiting on child processes (daemons, their children, tm, tmux),
    // not on CPU; vitest's default on 2 cores is one fork, which ran every file in turn.
    maxWorkers: 3,
    sequence: { sequencer: LongFirst },
    reporters: ['default', './test/helpers/plain-summary.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // Stray process warnings and unhandled rejections fail the run.
    dangerouslyIgnoreUnhandledErrors: false,
  },
});
