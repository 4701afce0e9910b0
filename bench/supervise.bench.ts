import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { filter, firstValueFrom, scan } from 'rxjs';
import { bench, describe } from 'vitest';
import { Daemon } from '../src/daemon/daemon.js';

/**
 * Start 100 real `sleep` instances until all are running, then stop them all: the daemon's own
 * overhead per instance (spawn checks, two transitions recorded each way, group signals).
 */
const INSTANCES = 100;

async function cycle(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tm-bench-'));
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    `programs:\n  s:\n    cmd: sleep 1000\n    numprocs: ${INSTANCES}\n    starttime: 0\n    stoptime: 1\n`,
  );
  const daemon = Daemon.open({ configFile: config, echo: null });
  const allRunning = firstValueFrom(
    daemon.events$.pipe(
      filter((e) => e.to === 'running'),
      scan((count) => count + 1, 0),
      filter((count) => count === INSTANCES),
    ),
  );
  daemon.boot();
  await allRunning;
  await daemon.shutdown();
}

describe('supervision', () => {
  bench(`start ${INSTANCES} instances to running, then stop them all`, cycle, {
    iterations: 5,
    warmupIterations: 1,
  });
});
