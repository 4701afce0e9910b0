import { readFileSync } from 'node:fs';
import { describe, expect, it, onTestFinished } from 'vitest';
import { RpcConnection } from '../../src/rpc/connection.js';
import { CLEAN_STOP, program, programs, Sandbox, withDeadline } from '../helpers/daemon-process.js';
import { startDaemon } from '../helpers/tm-process.js';

/**
 * Issue 7, an operator's worst day: each test reproduces a fault seen on the daemon before the
 * fix, with real processes, and checks the promise it broke (SPEC §3, §5, §7).
 */

async function connect(sandbox: Sandbox, port: number): Promise<RpcConnection> {
  const token = readFileSync(sandbox.path('taskmaster.token'), 'utf8').trim();
  const connection = await RpcConnection.open({ host: '127.0.0.1', port }, token, 2000);
  onTestFinished(() => connection.close());
  return connection;
}

/** `status` answered within `ms`, `times` times in a row, each on a new connection (a new tm). */
async function answersStatus(sandbox: Sandbox, port: number, times: number, ms: number) {
  for (let i = 0; i < times; i++) {
    const started = Date.now();
    const rows = await withDeadline(
      (async () => (await connect(sandbox, port)).call('status', { names: [] }))(),
      ms,
      () => `status answer ${i + 1} of ${times} within ${ms} ms`,
    );
    expect(rows.length).toBeGreaterThan(0);
    expect(Date.now() - started).toBeLessThan(ms);
  }
}

const crasher = (name: string, ...extra: string[]) =>
  program(
    name,
    "cmd: sh -c 'exit 1'",
    'starttime: 0',
    'autorestart: always',
    'startretries: 1',
    ...extra,
  );

describe('a crash storm (issue 7.2)', () => {
  it('three tight crash loops beside 300 quiet instances: status answers, timers fire, SIGTERM is obeyed', async () => {
    const sandbox = Sandbox.create(
      programs(crasher('storm', 'numprocs: 3'), program('quiet', 'numprocs: 300')),
    );
    const { daemon, port } = await startDaemon(sandbox);
    // the quiet ones reach running only by their starttime timers
    await sandbox.waitState('quiet:299', 'running', 0, 20_000);
    await answersStatus(sandbox, port, 10, 1000);
    const states = (await (await connect(sandbox, port)).call('status', { names: ['quiet'] })).map(
      (s) => s.state,
    );
    expect(new Set(states)).toEqual(new Set(['running']));
    // the loops are throttled: waits in backoff, cause crash-loop
    const causes = sandbox.history('storm:0').filter((h) => h.includes('(crash-loop)'));
    expect(causes[0]).toBe('exited -> backoff (crash-loop)');
    expect(await withDeadline(sandbox.stop(daemon), 30_000, () => 'the daemon to stop')).toEqual(
      CLEAN_STOP,
    );
  }, 60_000);

  it('restartdelaymax 0 (never wait) with 200 instances looping: status within 1 s, SIGTERM obeyed', async () => {
    const sandbox = Sandbox.create(
      programs(crasher('storm', 'numprocs: 200', 'restartdelaymax: 0'), program('quiet')),
    );
    const { daemon, port } = await startDaemon(sandbox);
    await sandbox.waitState('quiet:0', 'running', 0, 20_000);
    // the storm is on: many restarts of every looping instance
    await sandbox.waitEvent(
      (e) => e.name === 'storm:199' && e.to === 'starting' && e.cause === 'exit',
      'storm:199 restarting',
      0,
      20_000,
    );
    await answersStatus(sandbox, port, 5, 1000);
    expect(sandbox.history('storm:0').some((h) => h.includes('crash-loop'))).toBe(false);
    expect(await withDeadline(sandbox.stop(daemon), 30_000, () => 'the daemon to stop')).toEqual(
      CLEAN_STOP,
    );
  }, 60_000);
});
