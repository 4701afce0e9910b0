import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it, onTestFinished } from 'vitest';
import { RpcConnection } from '../../src/rpc/connection.js';
import {
  CLEAN_STOP,
  DaemonProcess,
  program,
  programs,
  Sandbox,
  TASKMASTERD,
  waitUntil,
} from '../helpers/daemon-process.js';

/**
 * Issue 7: clients must never starve the daemon of the file descriptors it needs to spawn its
 * children and open their output files. Before the fd reserve, a daemon under `ulimit -n 64`
 * holding 40 client connections sent all 100 instances to `fatal` on `restart all`, each with
 * EMFILE on its output files.
 */

const INSTANCES = 100;
const HELD = 40;

/** The built taskmasterd of `sandbox` with its soft and hard RLIMIT_NOFILE set to `limit`. */
function spawnLimited(sandbox: Sandbox, limit: number): DaemonProcess {
  const child = spawn(
    '/bin/sh',
    [
      '-c',
      `ulimit -n ${limit}; exec "$0" "$@"`,
      process.execPath,
      TASKMASTERD,
      '-c',
      'config.yaml',
    ],
    {
      cwd: sandbox.dir,
      // the sandbox's mark: its cleanup finds and kills this daemon and its children
      env: { ...process.env, TM_E2E_SANDBOX: sandbox.dir },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const daemon = new DaemonProcess(child);
  onTestFinished(() => {
    if (daemon.isRunning) daemon.child.kill('SIGKILL');
  });
  return daemon;
}

describe('the fd reserve (issue 7)', () => {
  it('under ulimit -n 64 with 40 clients held open, restart all brings every instance back running', async () => {
    // one program each, for a file each: two descriptors opened per spawn
    const sandbox = Sandbox.create(
      programs(
        ...Array.from({ length: INSTANCES }, (_, i) =>
          program(`nap${i}`, `stdout: nap${i}.out`, `stderr: nap${i}.err`),
        ),
      ),
    );
    const daemon = spawnLimited(sandbox, 64);
    const { match } = await daemon.waitLine(/INFO listening on 127\.0\.0\.1:(\d+)$/);
    const endpoint = { host: '127.0.0.1', port: Number(match[1]) };
    const running = () => {
      const names = new Set(
        sandbox
          .events({})
          .filter((e) => e.to === 'running')
          .map((e) => e.name),
      );
      return names.size;
    };
    await waitUntil(() => running() === INSTANCES, `all ${INSTANCES} instances running`, 20_000);
    const token = readFileSync(sandbox.path('taskmaster.token'), 'utf8').trim();

    const control = await RpcConnection.open(endpoint, token);
    onTestFinished(() => control.close());
    // as many clients as will be let in, and more: those the reserve refuses are refused
    const held = await Promise.allSettled(
      Array.from({ length: HELD }, () => RpcConnection.open(endpoint, token)),
    );
    for (const h of held) if (h.status === 'fulfilled') onTestFinished(() => h.value.close());

    const mark = sandbox.lastSeq();
    const results = await control.call('restart', { names: ['all'], wait: true });
    expect(results.filter((r) => !r.ok)).toEqual([]);
    const status = await control.call('status', { names: [] });
    expect(status.filter((s) => s.state !== 'running')).toEqual([]);
    // each went through a stop and a start of its own, none through backoff or fatal
    for (const name of ['nap0:0', 'nap50:0', 'nap99:0']) {
      expect(sandbox.history(name, mark)).toEqual([
        'running -> stopping (user)',
        'stopping -> stopped (user)',
        'stopped -> starting (user)',
        'starting -> running (timeout)',
      ]);
    }
    // some were let in, the rest told why they were not
    expect(held.some((h) => h.status === 'fulfilled')).toBe(true);
    const refused = held.flatMap((h) => (h.status === 'rejected' ? [h.reason as unknown] : []));
    expect(refused.length).toBeGreaterThan(0);
    for (const reason of refused) {
      expect(reason).toMatchObject({
        code: 'TOO_MANY_CLIENTS',
        message: expect.stringMatching(
          /^taskmasterd refuses new clients: \d+ file descriptors left of 64, 32 kept for the daemon$/,
        ) as unknown,
      });
    }
    expect(daemon.stderr).toMatch(
      /WARN refused client 127\.0\.0\.1:\d+: \d+ file descriptors left of \d+, \d+ kept for the daemon/,
    );

    control.close();
    for (const h of held) if (h.status === 'fulfilled') h.value.close();
    expect(await sandbox.stop(daemon)).toEqual(CLEAN_STOP);
  }, 60_000);
});
