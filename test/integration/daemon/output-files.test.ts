import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Subject } from 'rxjs';
import { describe, expect, it, onTestFinished } from 'vitest';
import { RpcConnection } from '../../../src/rpc/connection.js';
import { waitUntil } from '../../helpers/daemon-process.js';
import { TestDaemon, fixture } from '../../helpers/test-daemon.js';
import { waitFor } from '../../helpers/wait.js';

/**
 * The daemon keeps its programs' output files bounded (the rotator's own behaviour is in
 * output-rotator.test.ts): a plain path gets the default 50 MiB and 10 backups, `tm tail -f`
 * follows across the rotation, and a failure is a log line while supervision goes on.
 */

const MiB = 1024 * 1024;
const DEFAULT_MAX_BYTES = 50 * MiB;

function logText(td: TestDaemon): string {
  return readFileSync(join(td.dir, 'taskmaster.log'), 'utf8');
}

function waitLogged(td: TestDaemon, pattern: RegExp, what: string): Promise<void> {
  return waitUntil(() => pattern.test(logText(td)), what, 20_000);
}

describe('output files', () => {
  it('a plain stdout path is rotated past 50 MiB by default, and tail -f follows across it', async () => {
    const total = 51 * MiB;
    const td = TestDaemon.start(`programs:
  big:
    cmd: "${process.execPath} ${fixture('numbered-lines.js')} ${total} ${MiB} 0"
    starttime: 0
    autorestart: never
    stdout: out
  after:
    cmd: "sh -c 'echo after the rotation'"
    starttime: 0
    autostart: false
    autorestart: never
    stdout: out
server:
  port: 0
`);
    onTestFinished(() => td.stop());
    const { port } = await td.daemon.listen();
    const token = readFileSync(join(td.dir, 'taskmaster.token'), 'utf8').trim();
    const client = await RpcConnection.open({ host: '127.0.0.1', port }, token);
    onTestFinished(() => client.close());
    const texts = new Subject<string>();
    let followed = '';
    const sub = client.subscribe(
      'tail',
      { name: 'big:0', stderr: false, bytes: 1600, follow: true },
      (e) => {
        followed = (followed + (e as { text: string }).text).slice(-4096);
        texts.next(followed);
      },
    );
    onTestFinished(() => sub.cancel());
    await sub.result;
    await td.waitState('big:0', 'exited');
    await waitLogged(td, /out: passed 52428800 bytes; \d+ bytes moved to .*out\.1/, 'a rotation');
    const after = waitFor(texts, (t) => t.endsWith('after the rotation\n'), 'the line after it');
    td.daemon.command('start', ['after']);
    await after;

    const outputs = readdirSync(td.dir).filter((f) => f.startsWith('out'));
    expect(outputs.sort()).toEqual(['out', 'out.1']);
    const backup = statSync(join(td.dir, 'out.1')).size;
    expect(backup).toBeGreaterThan(DEFAULT_MAX_BYTES);
    // the write in flight at the truncate (1 MiB here) is all a rotation may lose
    expect(backup + statSync(join(td.dir, 'out')).size).toBeGreaterThanOrEqual(total - MiB);
    expect(readFileSync(join(td.dir, 'out'), 'utf8')).toMatch(/after the rotation\n$/);
  });

  it('a folder it cannot watch is said in the log; supervision goes on, and a start or a reload watches again', async () => {
    const td = TestDaemon.start(`programs:
  p:
    cmd: "sh -c 'echo hello; exec sleep 1000'"
    starttime: 0
    startretries: 0
    stoptime: 1
    stdout: missing/out
`);
    onTestFinished(() => td.stop());
    await waitLogged(td, /missing\/out: cannot watch its folder: ENOENT/, 'the failure');
    await td.waitState('p:0', 'fatal');
    mkdirSync(join(td.dir, 'missing'));
    const mark = td.mark();
    td.daemon.command('start', ['p']);
    await td.waitState('p:0', 'running', mark);
    await waitLogged(td, /missing\/out: watched again/, 'the folder to be watched');
    expect(readFileSync(join(td.dir, 'missing', 'out'), 'utf8')).toBe('hello\n');
    // a reload hands the new path over
    td.writeConfig(readFileSync(td.configFile, 'utf8').replace('missing/out', 'missing-too/out'));
    td.daemon.reload();
    await waitLogged(td, /missing-too\/out: cannot watch its folder: ENOENT/, 'the new path');
    expect(logText(td).match(/cannot watch/g)).toHaveLength(2);
  });
});
