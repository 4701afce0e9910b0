import { readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { RpcConnection } from '../../../src/rpc/connection.js';
import { TestDaemon, fixture } from '../../helpers/test-daemon.js';
import { Subject } from 'rxjs';
import { waitFor } from '../../helpers/wait.js';

async function setup() {
  const td = TestDaemon.start(`programs:
  talk:
    cmd: ${fixture('echo-on-usr1.sh')}
    starttime: 0.1
    stoptime: 1
    stdout: talk.out
    stderr: talk.err
  quiet:
    cmd: ${fixture('echo-on-usr1.sh')}
    starttime: 0.1
  later:
    cmd: ${fixture('echo-on-usr1.sh')}
    starttime: 0.1
    autostart: false
    stdout: later.out
server:
  port: 0
`);
  onTestFinished(() => td.stop());
  const { port } = await td.daemon.listen();
  const token = readFileSync(join(td.dir, 'taskmaster.token'), 'utf8').trim();
  const client = await RpcConnection.open({ host: '127.0.0.1', port }, token);
  onTestFinished(() => client.close());
  const running = await td.waitState('talk:0', 'running');
  return { td, client, pid: running.pid! };
}

describe('tail', () => {
  it('returns the end of the stdout or stderr file', async () => {
    const { td, client } = await setup();
    const out = await client.call('tail', {
      name: 'talk',
      stderr: false,
      bytes: 1600,
      follow: false,
    });
    expect(out).toEqual({ name: 'talk:0', file: join(td.dir, 'talk.out'), text: 'ready\n' });
    const err = await client.call('tail', {
      name: 'talk:0',
      stderr: true,
      bytes: 1600,
      follow: false,
    });
    expect(err.text).toBe('');
  });

  it('starts at a line boundary when it cuts the file', async () => {
    const { client, pid } = await setup();
    const followed = new Subject<string>();
    const sub = client.subscribe(
      'tail',
      { name: 'talk:0', stderr: false, bytes: 1600, follow: true },
      (e) => followed.next((e as { text: string }).text),
    );
    await sub.result;
    // one signal at a time: sh runs one trap for signals that arrive together
    const line1 = waitFor(followed, (t) => t.includes('line 1'), 'line 1 to be followed');
    process.kill(pid, 'SIGUSR1');
    await line1;
    const line2 = waitFor(followed, (t) => t.includes('line 2'), 'line 2 to be followed');
    process.kill(pid, 'SIGUSR1');
    await line2;
    await sub.cancel();
    await sub.done;
    const cut = await client.call('tail', {
      name: 'talk:0',
      stderr: false,
      bytes: 9,
      follow: false,
    });
    expect(cut.text).toBe('line 2\n');
  });

  it('follows what is appended until cancelled', async () => {
    const { td, client, pid } = await setup();
    const seen: string[] = [];
    const texts = new Subject<string>();
    const sub = client.subscribe(
      'tail',
      { name: 'talk:0', stderr: true, bytes: 1600, follow: true },
      (e) => {
        seen.push((e as { text: string }).text);
        texts.next(seen.join(''));
      },
    );
    expect((await sub.result).text).toBe('');
    const got = waitFor(texts, (t) => t.includes('err 1\n'), 'err 1 to be followed');
    process.kill(pid, 'SIGUSR1');
    await got;
    await sub.cancel();
    await sub.done;
    // the cancel's reply comes after the daemon has let go of the file
    expect(td.daemon.streamCount).toBe(0);
  });

  it('follows a file that does not exist yet, and one rotated away and created again', async () => {
    const { td, client, pid } = await setup();
    const texts = new Subject<string>();
    let seen = '';
    const sub = client.subscribe(
      'tail',
      { name: 'talk:0', stderr: false, bytes: 1600, follow: true },
      (e) => {
        seen += (e as { text: string }).text;
        texts.next(seen);
      },
    );
    await sub.result;
    const followed = waitFor(texts, (t) => t.endsWith('ready\n'), 'the new file to be followed');
    // rotated: the next write goes to a new file, read from its start
    renameSync(join(td.dir, 'talk.out'), join(td.dir, 'talk.out.1'));
    const mark = td.mark();
    td.daemon.command('restart', ['talk:0']);
    const again = await td.waitState('talk:0', 'running', mark);
    expect(again.pid).not.toBe(pid);
    await followed;
    await sub.cancel();
    await sub.done;
  });

  it('follows a file that does not exist yet, from its first line', async () => {
    const { td, client } = await setup();
    const texts = new Subject<string>();
    let seen = '';
    const sub = client.subscribe(
      'tail',
      { name: 'later:0', stderr: false, bytes: 1600, follow: true },
      (e) => {
        seen += (e as { text: string }).text;
        texts.next(seen);
      },
    );
    expect((await sub.result).text).toBe('');
    const followed = waitFor(texts, (t) => t === 'ready\n', 'the new file to be followed');
    td.daemon.command('start', ['later:0']);
    await followed;
    await sub.cancel();
    await sub.done;
  });

  it('says when there is no file to tail', async () => {
    const { client } = await setup();
    await expect(
      client.call('tail', { name: 'quiet:0', stderr: false, bytes: 1600, follow: false }),
    ).rejects.toMatchObject({
      code: 'NO_OUTPUT_FILE',
      message: 'quiet:0: stdout is discarded, there is nothing to tail',
      hint: 'set programs.quiet.stdout to a file in the config, then reload',
    });
  });
});
