// taskmaster: a build's dist/src/bin/taskmasterd.js in the foreground, its tm as the CLI, and
// the wire protocol (tm-client.mjs) as the API.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { TmClient } from '../tm-client.mjs';
import { cliWords, daemonOutputTail, freePort, shellJoin, spawnDaemon } from './common.mjs';

const STATES = { running: 'running', exited: 'exited', stopped: 'stopped' };

export function taskmaster({ label, dir }) {
  const daemonJs = join(dir, 'dist/src/bin/taskmasterd.js');
  // tm.cjs since the client runs with V8's code cache; tm.js in builds before that
  const tmJs = ['tm.cjs', 'tm.js'].map((f) => join(dir, 'dist/src/bin', f)).find(existsSync) ?? '';
  return {
    label,
    isTaskmaster: true,
    check() {
      if (!existsSync(daemonJs) || tmJs === '') {
        throw new Error(`${label}: no build in ${dir}\nhint: run npm run build there`);
      }
    },
    version() {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      let commit = '';
      try {
        commit = execFileSync('git', ['-C', dir, 'rev-parse', '--short', 'HEAD'], {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'ignore'],
        }).trim();
      } catch {
        // not a git checkout: the version alone says which build
      }
      return `taskmaster ${pkg.version}${commit === '' ? '' : ` (${commit})`} in ${dir}`;
    },
    async session({ dir: work, env, programs }) {
      const port = await freePort();
      const token = randomBytes(16).toString('hex');
      writeFileSync(join(work, 'taskmaster.token'), `${token}\n`, { mode: 0o600 });
      writeFileSync(join(work, 'config.yaml'), configYaml(programs, port));
      return new TmSession({ work, env, port, token, daemonJs, tmJs });
    },
  };
}

function configYaml(programs, port) {
  const lines = ['programs:'];
  if (programs.length === 0) lines[0] = 'programs: {}';
  for (const p of programs) {
    lines.push(
      `  ${p.name}:`,
      `    cmd: ${JSON.stringify(shellJoin(p.argv))}`,
      `    numprocs: ${p.count}`,
      `    autostart: ${p.autostart}`,
      `    autorestart: ${p.autorestart ? 'always' : 'never'}`,
      '    starttime: 0',
      '    stoptime: 10',
    );
    if (p.stdoutFile !== undefined) {
      lines.push(`    stdout: { file: ${JSON.stringify(p.stdoutFile)}, maxbytes: 0 }`);
    }
  }
  lines.push('server:', '  host: 127.0.0.1', `  port: ${port}`, '  tokenfile: taskmaster.token');
  return `${lines.join('\n')}\n`;
}

class TmSession {
  constructor({ work, env, port, token, daemonJs, tmJs }) {
    Object.assign(this, { work, env, port, token, daemonJs, tmJs });
    this.daemon = null;
    this.client = null;
  }

  instance(program, i) {
    return `${program}:${i}`;
  }

  async launch() {
    this.daemon = spawnDaemon(process.execPath, [this.daemonJs, '-c', 'config.yaml'], {
      cwd: this.work,
      env: this.env,
    });
  }

  daemonPid() {
    return this.daemon?.pid ?? null;
  }

  async api() {
    if (this.client === null) {
      const c = await TmClient.open(this.port, this.token);
      c.socket.once('close', () => {
        if (this.client === c) this.client = null;
      });
      this.client = c;
    }
    return this.client;
  }

  async list() {
    const rows = await (await this.api()).call('status', { names: [] });
    return rows.map((r) => ({
      name: r.name,
      program: r.program,
      state: STATES[r.state] ?? 'other',
      pid: r.pid ?? null,
    }));
  }

  async one(name) {
    const [r] = await (await this.api()).call('status', { names: [name] });
    return { state: STATES[r.state] ?? 'other', pid: r.pid ?? null };
  }

  async startApi(name) {
    await (await this.api()).call('start', { names: [name], wait: false });
  }

  cli(verb, name) {
    const words = cliWords(verb, name);
    return {
      cmd: process.execPath,
      args: [this.tmJs, '-c', 'config.yaml', ...words],
      env: this.env,
      cwd: this.work,
    };
  }

  /** Resolves once the daemon has exited; its exit if it was ours to see. */
  async waitGone() {
    return this.daemon.exited;
  }

  /** Drops the API connection: before the daemon is killed, or at the end. */
  async disconnect() {
    this.client?.close();
    this.client = null;
  }

  outputTail() {
    return daemonOutputTail(this.work);
  }
}
