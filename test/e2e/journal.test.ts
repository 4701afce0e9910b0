import { describe, expect, it } from 'vitest';
import { program, programs, Sandbox } from '../helpers/daemon-process.js';
import { runTm, startDaemon } from '../helpers/tm-process.js';

/** Issue 8: the event log as the record: the daemon's own life, and history that outlives config. */

type Row = { kind: string; name: string | null; action?: string; message?: string; to?: string };

async function log(sandbox: Sandbox, port: number, ...args: string[]): Promise<Row[]> {
  const r = await runTm(sandbox, [
    '-c',
    'config.yaml',
    '--port',
    String(port),
    'log',
    '--json',
    ...args,
  ]);
  expect(r).toMatchObject({ code: 0, stderr: '' });
  return JSON.parse(r.stdout) as Row[];
}

describe("the daemon's own life in tm log", () => {
  it('a start, a SIGKILL said at the next start with when it was last heard of, and a clean shutdown', async () => {
    const sandbox = Sandbox.create(programs(program('web')));
    let { daemon, port } = await startDaemon(sandbox);
    await sandbox.waitState('web:0', 'running');
    const lastRowAt = sandbox.events().at(-1)!.atMs;
    daemon.signal('SIGKILL');
    await daemon.waitExit();
    ({ daemon, port } = await startDaemon(sandbox));
    await sandbox.waitState('web:0', 'running', sandbox.lastSeq());
    const rows = (await log(sandbox, port)).filter((r) => r.kind === 'daemon');
    expect(rows.map((r) => r.action)).toEqual(['started', 'crashed', 'started']);
    expect(rows[0]!.message).toMatch(
      /^version 0\.1\.0, pid \d+, .*config\.yaml, config revision 1$/,
    );
    expect(rows[1]!.message).toBe(
      `the previous taskmasterd (${rows[0]!.message}) ended without a shutdown (a crash, or SIGKILL); last heard of at ${new Date(lastRowAt).toISOString()}`,
    );
    const text = await runTm(sandbox, ['-c', 'config.yaml', '--port', String(port), 'log']);
    expect(text.stdout).toContain('  taskmasterd  crashed  the previous taskmasterd');
    await sandbox.stop(daemon);
    // a clean shutdown leaves its row: the next start finds nothing to report
    ({ daemon, port } = await startDaemon(sandbox));
    const again = (await log(sandbox, port)).filter((r) => r.kind === 'daemon');
    expect(again.map((r) => r.action)).toEqual([
      'started',
      'crashed',
      'started',
      'stopped',
      'started',
    ]);
    await sandbox.stop(daemon);
  }, 30_000);
});

describe('tm log of a program no longer in the config', () => {
  it('its history is there after a reload removed it', async () => {
    const sandbox = Sandbox.create(programs(program('web'), program('old')));
    const { daemon, port } = await startDaemon(sandbox);
    await sandbox.waitState('old:0', 'running');
    sandbox.writeConfig(programs(program('web')));
    daemon.signal('SIGHUP');
    await sandbox.waitState('old:0', 'stopped');
    const rows = await log(sandbox, port, 'old');
    expect(rows.map((r) => r.to)).toEqual(['starting', 'running', 'stopping', 'stopped']);
    const unknown = await runTm(sandbox, [
      '-c',
      'config.yaml',
      '--port',
      String(port),
      'log',
      'olf',
    ]);
    expect(unknown).toMatchObject({
      code: 1,
      stderr: 'tm: no such program: olf (did you mean old?)\n',
    });
    await sandbox.stop(daemon);
  });
});

describe('a config with no programs (issue 8)', () => {
  it('the daemon starts, says it waits, and a reload adds a program', async () => {
    const sandbox = Sandbox.create('server:\n  port: 0\n');
    const { daemon } = await startDaemon(sandbox);
    await daemon.waitLine(/INFO no programs in the config: waiting for a reload/);
    sandbox.writeConfig(programs(program('web')));
    daemon.signal('SIGHUP');
    await sandbox.waitState('web:0', 'running');
    await sandbox.stop(daemon);
  });
});
