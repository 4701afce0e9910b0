// Supervisor: supervisord in the foreground (nodaemon) on its own supervisord.conf, with a unix
// socket HTTP server in the session folder; supervisorctl as the CLI, XML-RPC as the API.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { callUnix } from '../xmlrpc.mjs';
import { cliWords, daemonOutputTail, shellJoin, spawnDaemon } from './common.mjs';

const STATES = { RUNNING: 'running', EXITED: 'exited', STOPPED: 'stopped' };

export function supervisor() {
  return {
    label: 'supervisor',
    isTaskmaster: false,
    check() {
      execFileSync('supervisord', ['--version'], { stdio: 'ignore' });
    },
    version() {
      return `Supervisor ${execFileSync('supervisord', ['--version'], { encoding: 'utf8' }).trim()}`;
    },
    async session({ dir: work, env, programs }) {
      writeFileSync(join(work, 'supervisord.conf'), conf(work, programs));
      return new SupervisorSession({ work, env });
    },
  };
}

function conf(work, programs) {
  const lines = [
    '[unix_http_server]',
    `file=${join(work, 'supervisor.sock')}`,
    '[supervisord]',
    'nodaemon=true',
    `logfile=${join(work, 'supervisord.log')}`,
    `pidfile=${join(work, 'supervisord.pid')}`,
    `childlogdir=${work}`,
    // 500 programs hold 1500 pipe ends: raise the soft fd limit if it is the common 1024
    'minfds=4096',
    '[rpcinterface:supervisor]',
    'supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface',
    '[supervisorctl]',
    `serverurl=unix://${join(work, 'supervisor.sock')}`,
  ];
  for (const p of programs) {
    lines.push(
      `[program:${p.name}]`,
      `command=${shellJoin(p.argv)}`,
      `numprocs=${p.count}`,
      'process_name=%(program_name)s_%(process_num)d',
      `autostart=${p.autostart}`,
      `autorestart=${p.autorestart}`,
      'startsecs=0',
      'stopwaitsecs=10',
      `stdout_logfile=${p.stdoutFile ?? 'NONE'}`,
      'stdout_logfile_maxbytes=0',
      'stderr_logfile=NONE',
    );
  }
  return `${lines.join('\n')}\n`;
}

class SupervisorSession {
  constructor({ work, env }) {
    this.work = work;
    this.env = env;
    this.conf = join(work, 'supervisord.conf');
    this.sock = join(work, 'supervisor.sock');
    this.daemon = null;
  }

  instance(program, i) {
    return `${program}:${program}_${i}`;
  }

  async launch() {
    this.daemon = spawnDaemon('supervisord', ['-c', this.conf], { cwd: this.work, env: this.env });
  }

  daemonPid() {
    return this.daemon?.pid ?? null;
  }

  async list() {
    const infos = await callUnix(this.sock, 'supervisor.getAllProcessInfo');
    return infos.map((p) => ({
      name: `${p.group}:${p.name}`,
      program: p.group,
      state: STATES[p.statename] ?? 'other',
      pid: p.pid === 0 ? null : p.pid,
    }));
  }

  async one(name) {
    const p = await callUnix(this.sock, 'supervisor.getProcessInfo', [name]);
    return { state: STATES[p.statename] ?? 'other', pid: p.pid === 0 ? null : p.pid };
  }

  async startApi(name) {
    await callUnix(this.sock, 'supervisor.startProcess', [name, false]);
  }

  cli(verb, name) {
    const words = cliWords(verb, name);
    return {
      cmd: 'supervisorctl',
      args: ['-c', this.conf, ...words],
      env: this.env,
      cwd: this.work,
      // status exits 3 when some process is not running: still an answer
      okCodes: verb === 'status' ? [0, 3] : [0],
    };
  }

  async waitGone() {
    return this.daemon.exited;
  }

  async disconnect() {
    // a new connection per call: nothing held open
  }

  outputTail() {
    return daemonOutputTail(this.work);
  }
}
