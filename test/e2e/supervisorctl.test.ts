// Issue 11: Debian's real supervisorctl drives the built taskmasterd over its XML-RPC endpoint.
import { execFile, spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it, onTestFinished } from 'vitest';
import { openEventDb } from '../../src/eventlog/db.js';
import { queryLog } from '../../src/eventlog/query.js';
import { program, Sandbox, waitUntil } from '../helpers/daemon-process.js';
import { fixture } from '../helpers/test-daemon.js';

const SUPERVISORCTL = '/usr/bin/supervisorctl';
const run = promisify(execFile);

const XMLRPC = `  xmlrpc:
    port: 0
    username: admin
    password: '{SHA}e5e9fa1ba31ecd1ae84f75caaa474f3a663f05f4'
`;

function config(...blocks: string[]): string {
  return `programs:\n${blocks.join('')}server:\n  port: 0\n${XMLRPC}`;
}

const ECHO = program(
  'echo',
  `cmd: "${fixture('echo-on-usr1.sh')}"`,
  'stdout: echo.out',
  'stderr: echo.err',
);
const WEB = program('web', 'numprocs: 2');

async function daemonWithCtl(yaml: string) {
  const sb = Sandbox.create(yaml);
  const d = sb.spawn();
  const { match } = await d.waitLine(/xmlrpc: Supervisor's XML-RPC API on 127\.0\.0\.1:(\d+)/);
  const url = `http://127.0.0.1:${match[1]}`;
  /** supervisorctl's output and exit status (it exits non-zero for a failed command). */
  const ctl = async (...args: string[]) => {
    try {
      const { stdout } = await run(SUPERVISORCTL, [
        '-s',
        url,
        '-u',
        'admin',
        '-p',
        'secret',
        ...args,
      ]);
      return { out: stdout.trimEnd(), code: 0 };
    } catch (error) {
      const e = error as { stdout: string; code: number };
      return { out: e.stdout.trimEnd(), code: e.code };
    }
  };
  /** `supervisorctl ARGS` left running (tail -f), its output so far, ended by SIGINT. */
  const follow = (...args: string[]) => {
    const child = spawn(SUPERVISORCTL, ['-s', url, '-u', 'admin', '-p', 'secret', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));
    onTestFinished(async () => {
      if (child.exitCode === null) child.kill('SIGKILL');
      await closed;
    });
    return {
      output: () => out,
      waitFor: (text: string) =>
        waitUntil(() => out.includes(text), `"${text}" from ${args.join(' ')}`),
      end: async () => {
        // Ctrl-C: supervisorctl closes the stream and exits
        child.kill('SIGINT');
        await closed;
      },
    };
  };
  for (const name of yaml.includes('  web:') ? ['web:0', 'web:1'] : []) {
    await sb.waitState(name, 'running');
  }
  if (yaml.includes('  echo:')) await sb.waitState('echo:0', 'running');
  return { sb, d, url, ctl, follow };
}

// each supervisorctl is a Python process of its own: some hundreds of ms a command
describe.skipIf(!existsSync(SUPERVISORCTL))(
  'supervisorctl against taskmasterd (issue 11)',
  { timeout: 60_000 },
  () => {
    it('status, start/stop/restart of an instance, a program and all', async () => {
      const { ctl } = await daemonWithCtl(config(ECHO, WEB));
      const status = await ctl('status');
      expect(status.code).toBe(0);
      expect(status.out.split('\n').map((l) => l.split(/\s+/).slice(0, 2).join(' '))).toEqual([
        'echo:0 RUNNING',
        'web:0 RUNNING',
        'web:1 RUNNING',
      ]);
      expect(status.out).toMatch(/^web:0 +RUNNING +pid \d+, uptime 0:00:\d\d$/m);

      expect((await ctl('stop', 'web:0')).out).toBe('web:0: stopped');
      expect((await ctl('status', 'web:0')).out).toMatch(
        /^web:0 +STOPPED +\w{3} \d\d \d\d:\d\d [AP]M$/,
      );
      expect((await ctl('start', 'web:0')).out).toBe('web:0: started');
      // supervisorctl exits 0 for it, as for Supervisor
      expect(await ctl('start', 'web:0')).toEqual({
        out: 'web:0: ERROR (already started)',
        code: 0,
      });
      expect((await ctl('restart', 'web:0')).out).toBe('web:0: stopped\nweb:0: started');
      expect((await ctl('stop', 'web:*')).out).toBe('web:0: stopped\nweb:1: stopped');
      expect((await ctl('start', 'web:*')).out).toBe('web:0: started\nweb:1: started');
      expect((await ctl('restart', 'all')).out).toBe(
        'echo:0: stopped\nweb:0: stopped\nweb:1: stopped\necho:0: started\nweb:0: started\nweb:1: started',
      );
      expect((await ctl('stop', 'all')).out.split('\n')).toHaveLength(3);
      expect((await ctl('start', 'all')).out.split('\n')).toHaveLength(3);
      expect(await ctl('start', 'nope:0')).toEqual({
        out: 'nope:0: ERROR (no such process)',
        code: 1,
      });
    });

    it('pid, signal, tail; every action on record with the client', async () => {
      const { sb, d, ctl } = await daemonWithCtl(config(ECHO, WEB));
      expect((await ctl('pid')).out).toBe(String(d.pid));
      const web1 = sb.events({ names: ['web:1'] }).findLast((e) => e.to === 'running')!.pid;
      expect((await ctl('pid', 'web:1')).out).toBe(String(web1));

      const mark = sb.lastSeq();
      expect((await ctl('signal', 'USR1', 'echo')).out).toBe('echo: signalled');
      await sb.waitFile('echo.out');
      await waitUntil(
        () => statSync(sb.path('echo.out')).size > 'ready\n'.length,
        'line 1 in echo.out',
      );
      expect((await ctl('tail', 'echo')).out).toBe('ready\nline 1');
      expect((await ctl('tail', 'echo', 'stderr')).out).toBe('err 1');
      expect((await ctl('signal', 'NOPE', 'echo:0')).out).toBe('echo:0: ERROR (bad signal name)');
      // nothing stopped or started by the signals
      expect(sb.history('echo:0', mark)).toEqual([]);

      // every action is on record with this client
      const db = openEventDb(sb.path('taskmaster.db'));
      onTestFinished(() => void db.close());
      const clients = queryLog(db, {})
        .filter((r) => r.kind === 'action' && r.action === 'signal asked')
        .map((r) => (r.kind === 'action' ? r.client : null));
      expect(clients.length).toBeGreaterThan(0);
      expect(clients.every((c) => /^xmlrpc@127\.0\.0\.1:\d+$/.test(c ?? ''))).toBe(true);
    });

    it('tail -f and maintail -f stream until ended; maintail, clear, avail', async () => {
      const { sb, ctl, follow } = await daemonWithCtl(config(ECHO, WEB));
      await sb.waitFile('echo.out');
      const tail = follow('tail', '-f', 'echo');
      await tail.waitFor('ready');
      await ctl('signal', 'USR1', 'echo');
      await tail.waitFor('line 1');
      await tail.end();

      const main = follow('maintail', '-f');
      await main.waitFor('==> Press Ctrl-C to exit <==');
      await ctl('stop', 'web:1');
      await main.waitFor('web:1: stopped (user)');
      await main.end();
      expect((await ctl('maintail')).out).toMatch(/INFO web:1: stopped \(user\)/);

      expect((await ctl('clear', 'echo')).out).toBe('echo: cleared');
      expect(statSync(sb.path('echo.out')).size).toBe(0);
      expect((await ctl('avail')).out.split('\n').map((l) => l.split(/\s+/).join(' '))).toEqual([
        'echo:0 in use auto 999:999',
        'web:0 in use auto 999:999',
        'web:1 in use auto 999:999',
      ]);
    });

    it('reread + update apply a changed config file, group by group', async () => {
      const { sb, ctl } = await daemonWithCtl(config(ECHO, WEB));
      sb.writeConfig(config(ECHO, program('extra')));
      expect((await ctl('reread')).out).toBe('extra: available\nweb: disappeared');
      // reread applies nothing
      expect((await ctl('status', 'web:0')).out).toMatch(/^web:0 +RUNNING/);
      expect((await ctl('update')).out).toBe(
        'web: stopped\nweb: removed process group\nextra: added process group',
      );
      await sb.waitState('extra:0', 'running');
      expect(
        (await ctl('status')).out.split('\n').map((l) => l.split(/\s+/).slice(0, 2).join(' ')),
      ).toEqual(['echo:0 RUNNING', 'extra:0 RUNNING']);
      sb.writeConfig('programs: [not, a, mapping]\n');
      const bad = await ctl('reread');
      expect(bad.out).toMatch(
        /^ERROR: CANT_REREAD: .*config\.yaml:1:11: programs: expected a mapping of programs/,
      );
    });

    it('refuses a wrong password (401, a log line); shutdown stops everything', async () => {
      const { sb, d, url, ctl } = await daemonWithCtl(config(WEB));
      const wrong = await run(SUPERVISORCTL, [
        '-s',
        url,
        '-u',
        'admin',
        '-p',
        'guess',
        'status',
      ]).catch((e: { stdout: string; code: number }) => e);
      expect('code' in wrong ? wrong.code : 0).not.toBe(0);
      expect(wrong.stdout).toMatch(/^Server requires authentication$/m);
      await d.waitLine(
        /WARN xmlrpc: refused 127\.0\.0\.1:\d+: wrong username or password \(user "admin"\)/,
      );

      expect(await ctl('shutdown')).toEqual({ out: 'Shut down', code: 0 });
      expect(await d.waitExit()).toEqual({ code: 0, signal: null });
      await waitUntil(() => sb.processes().length === 0, 'every process of the daemon to be gone');
    });
  },
);
