import { describe, expect, it } from 'vitest';
import { program, programs, Sandbox } from '../helpers/daemon-process.js';
import { runTm, startDaemon } from '../helpers/tm-process.js';

/**
 * Issue 8: control actions are events. Before, `tm signal` left no trace anywhere; now it is in
 * `tm log` with who asked, beside what it caused.
 */

describe('tm signal in tm log', () => {
  it('leaves a row with the client and its address, then its outcome, then the exit it caused', async () => {
    const sandbox = Sandbox.create(programs(program('web', 'autorestart: never')));
    const { daemon, port } = await startDaemon(sandbox);
    await sandbox.waitState('web:0', 'running');
    const tm = (...args: string[]) =>
      runTm(sandbox, ['-c', 'config.yaml', '--port', String(port), ...args]);
    const from = sandbox.lastSeq();
    expect(await tm('signal', 'TERM', 'web:0')).toMatchObject({
      code: 0,
      stdout: 'web:0: signalled SIGTERM\n',
    });
    await sandbox.waitState('web:0', 'exited', from);
    const r = await tm('log', 'web:0', '--limit', '3');
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const at = String.raw`\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}`;
    expect(r.stdout.trimEnd().split('\n')).toEqual([
      expect.stringMatching(
        new RegExp(
          `^${at}  web:0  signal asked by tm 0\\.1\\.0@127\\.0\\.0\\.1:\\d+  signal=TERM names=web:0$`,
        ),
      ),
      expect.stringMatching(new RegExp(`^${at}  web:0  signal ok  signalled SIGTERM$`)),
      expect.stringMatching(
        new RegExp(`^${at}  web:0  running -> exited  \\(exit\\)  pid \\d+, killed by SIGTERM$`),
      ),
    ]);
    await sandbox.stop(daemon);
  });
});
