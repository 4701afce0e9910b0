// Issue 11: Python's xmlrpc.client checks every method's return shape and fault codes.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it, onTestFinished } from 'vitest';
import { queryEvents, queryLog } from '../../../src/eventlog/query.js';
import { openEventDb } from '../../../src/eventlog/db.js';
import { TestDaemon, fixture, isAlive } from '../../helpers/test-daemon.js';

const run = promisify(execFile);

const CONFIG = `programs:
  web:
    cmd: "${fixture('echo-on-usr1.sh')}"
    numprocs: 2
    starttime: 0.1
    stoptime: 1
    stdout: web.out
  bad:
    cmd: /nonexistent/bin
    autostart: false
    startretries: 0
  quick:
    cmd: sh -c 'exit 3'
    autostart: false
    starttime: 1
    startretries: 0
server:
  port: 0
  xmlrpc: { port: 0, username: admin, password: secret }
`;

describe('xmlrpc.client against the endpoint (issue 11)', () => {
  it(
    'gets Supervisor 4.2.5 shapes and fault codes from every method',
    { timeout: 60_000 },
    async () => {
      const td = TestDaemon.start(CONFIG);
      let isStopped = false;
      onTestFinished(async () => {
        if (!isStopped) await td.stop();
      });
      await Promise.all([td.waitState('web:0', 'running'), td.waitState('web:1', 'running')]);
      await td.daemon.listen();
      const port = /xmlrpc: Supervisor's XML-RPC API on 127\.0\.0\.1:(\d+)/.exec(
        readFileSync(join(td.dir, 'taskmaster.log'), 'utf8'),
      )?.[1];
      expect(port).toBeDefined();
      const url = `http://admin:secret@127.0.0.1:${port}/RPC2`;
      const { stdout } = await run('python3', [
        fixture('xmlrpc-client.py'),
        url,
        String(process.pid),
        td.configFile,
      ]).catch((e: { stdout: string; stderr: string }) => {
        throw new Error(`xmlrpc-client.py failed:\n${e.stdout}\n${e.stderr}`);
      });
      expect(stdout.trim().split('\n').at(-1)).toBe('done');
      await td.daemon.stopped;
      isStopped = true;

      // the actions were audited as the msgpack RPC's are, naming the client
      const db = openEventDb(join(td.dir, 'taskmaster.db'));
      onTestFinished(() => void db.close());
      const actions = queryLog(db, {}).flatMap((r) =>
        r.kind === 'action' ? [`${r.action} ${r.client?.replace(/:\d+$/, ':PORT') ?? ''}`] : [],
      );
      for (const verb of ['start', 'stop', 'signal', 'reload', 'restart', 'shutdown']) {
        expect(actions).toContain(`${verb} asked xmlrpc@127.0.0.1:PORT`);
      }
      for (const pid of queryEvents(db, {}).flatMap((e) => (e.pid === null ? [] : [e.pid]))) {
        expect(isAlive(pid)).toBe(false);
      }
    },
  );
});
