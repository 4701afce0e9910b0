import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it, onTestFinished } from 'vitest';
import { RpcConnection } from '../../src/rpc/connection.js';
import { CLEAN_STOP, program, programs, Sandbox, withDeadline } from '../helpers/daemon-process.js';
import { fixture } from '../helpers/test-daemon.js';
import { startDaemon } from '../helpers/tm-process.js';

/**
 * Issue 7: 600 sockets that connect, say nothing, and connect again as soon as they are closed.
 * Before, they took the 512 places the daemon had for clients, `tm status` got no answer in 10
 * tries, and every refusal was a line of the daemon log (54 MiB a minute).
 */

const SOCKETS = 600;
/** Connections each socket makes at most: the flood ends by itself even if the test fails. */
const ROUNDS = 100;
const TRIES = 10;

describe('a flood of bare connections (issue 7)', () => {
  it('600 reconnecting sockets: every status answers in time, the log grows by a few lines', async () => {
    const sandbox = Sandbox.create(programs(program('web')));
    const { daemon, port } = await startDaemon(sandbox);
    onTestFinished(async () => {
      if (daemon.isRunning) await sandbox.stop(daemon);
    });
    await daemon.waitRunning('web:0');
    const endpoint = { host: '127.0.0.1', port };
    const token = readFileSync(sandbox.path('taskmaster.token'), 'utf8').trim();
    const logLines = () => readFileSync(sandbox.path('taskmaster.log'), 'utf8').split('\n').length;
    const before = logLines();

    // the flood runs in a process of its own, as an attacker's would: this one plays tm
    const flood = spawn(
      process.execPath,
      [fixture('bare-flood.js'), String(port), String(SOCKETS), String(ROUNDS)],
      { stdio: 'ignore' },
    );
    onTestFinished(() => void flood.kill('SIGKILL'));
    const mark = daemon.mark();
    await daemon.waitLine(/ WARN refused client /, mark);

    const answered: number[] = [];
    for (let i = 0; i < TRIES; i++) {
      const t0 = Date.now();
      const status = await withDeadline(
        (async () => {
          const client = await RpcConnection.open(endpoint, token, 2000);
          try {
            return await client.call('status', { names: [] });
          } finally {
            client.close();
          }
        })(),
        2000,
        () => `status ${i + 1} of ${TRIES} during the flood`,
      );
      expect(status.map((s) => s.state)).toEqual(['running']);
      answered.push(Date.now() - t0);
    }
    // still flooding when the last status was answered: every one was asked during the flood
    expect(flood.exitCode).toBeNull();
    flood.kill('SIGKILL');
    expect(answered).toHaveLength(TRIES);
    // the first refusal, a count per 10 s: a handful of lines, whatever the number of sockets
    expect(logLines() - before).toBeLessThanOrEqual(4);
    expect(await sandbox.stop(daemon)).toEqual(CLEAN_STOP);
  }, 60_000);
});
