import { describe, expect, it, onTestFinished } from 'vitest';
import { TestDaemon } from '../../helpers/test-daemon.js';

/** `daemon.eventretention` (issue 8): bounded history, pruned per instance. */

describe('event retention', () => {
  it("a crash loop's history stays at its bound; another instance keeps its first event", async () => {
    const td = TestDaemon.start(`programs:
  flap:
    cmd: sh -c 'exit 1'
    starttime: 0
    autorestart: always
    restartdelaymax: 0
  quiet:
    cmd: sleep 1000
    starttime: 0
daemon:
  eventretention: { perinstance: 100, days: 1 }
`);
    onTestFinished(() => td.stop());
    const first = await td.waitState('quiet:0', 'starting');
    // a thousand rows of flap:0 go by: many times its bound
    await td.waitEvent(
      (e) => e.name === 'flap:0' && e.seq > 1200,
      'flap:0 past row 1200',
      0,
      30_000,
    );
    const after = td.mark();
    await td.waitEvent((e) => e.name === 'flap:0', 'one more row of flap:0', after);
    const count = () => td.daemon.events({ names: ['flap:0'], limit: 5000 }).length;
    // pruned a batch at a time, once the count is a tenth (at least 50 rows) past the bound, on
    // the turn after the row that crossed it: the rows of that one turn can be there too (CI saw
    // 154), a few, never a runaway
    expect(count()).toBeLessThanOrEqual(150 + 20);
    expect(count()).toBeGreaterThanOrEqual(100);
    const quiet = td.daemon.events({ names: ['quiet:0'] });
    expect(quiet[0]).toMatchObject({ seq: first.seq, from: 'stopped', to: 'starting' });
  }, 40_000);
});
