// PM2: the pinned pm2 in the bench's cache, with its own PM2_HOME in the session folder. Its CLI
// starts the God daemon (which daemonizes itself: its pid is read from PM2_HOME/pm2.pid); the
// API is pm2's own module, connected only once the daemon is up (connecting to a PM2_HOME with no
// daemon would start one from this process).
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { isAlive, record } from '../procs.mjs';
import { until } from '../until.mjs';
import { cliWords, runCli } from './common.mjs';

const STATES = { online: 'running', stopped: 'stopped' };

export function pm2({ cacheDir, scratchHome }) {
  const pkgDir = join(cacheDir, 'node_modules/pm2');
  const bin = join(pkgDir, 'bin/pm2');
  let PM2 = null;
  const load = () => {
    if (PM2 === null) {
      // pm2 computes its default home when first loaded: keep it off the user's ~/.pm2
      const saved = process.env.PM2_HOME;
      process.env.PM2_HOME = scratchHome;
      try {
        PM2 = createRequire(join(cacheDir, 'package.json'))('pm2');
      } finally {
        if (saved === undefined) delete process.env.PM2_HOME;
        else process.env.PM2_HOME = saved;
      }
    }
    return PM2;
  };
  return {
    label: 'pm2',
    isTaskmaster: false,
    check() {
      load();
    },
    version() {
      return `PM2 ${JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')).version}`;
    },
    async session({ dir: work, env, programs }) {
      const home = join(work, 'pm2-home');
      const apps = programs.filter((p) => p.autostart).flatMap((p) => appsOf(p, env));
      writeFileSync(
        join(work, 'ecosystem.config.cjs'),
        `module.exports = ${JSON.stringify({ apps }, null, 1)};\n`,
      );
      return new Pm2Session({
        work,
        env: { ...env, PM2_HOME: home },
        home,
        bin,
        programs,
        hasApps: apps.length > 0,
        PM2: load(),
      });
    },
  };
}

function appsOf(p, env) {
  return Array.from({ length: p.count }, (_, i) => ({
    name: `${p.name}-${i}`,
    script: p.argv[0],
    args: p.argv.slice(1),
    interpreter: 'none',
    autorestart: p.autorestart,
    restart_delay: 0,
    out_file: p.stdoutFile ?? '/dev/null',
    error_file: '/dev/null',
    env: { BENCH_PEERS_SESSION: env.BENCH_PEERS_SESSION },
  }));
}

const promised = (fn) =>
  new Promise((resolve, reject) => fn((err, v) => (err ? reject(err) : resolve(v))));

class Pm2Session {
  constructor({ work, env, home, bin, programs, hasApps, PM2 }) {
    Object.assign(this, { work, env, home, bin, programs, hasApps, PM2 });
    this.godPid = null;
    this.client = null;
  }

  instance(program, i) {
    return `${program}-${i}`;
  }

  /** The CLI starts the daemon and the apps; it returns once the apps are launched. */
  async launch() {
    const words = this.hasApps ? ['start', 'ecosystem.config.cjs'] : ['ping'];
    await runCli({
      cmd: process.execPath,
      args: [this.bin, ...words],
      env: this.env,
      cwd: this.work,
    });
    this.godPid = Number(readFileSync(join(this.home, 'pm2.pid'), 'utf8').trim());
    record(this.godPid);
  }

  daemonPid() {
    return this.godPid;
  }

  async api() {
    if (this.client === null) {
      const c = new this.PM2.custom({ pm2_home: this.home, cwd: this.work });
      await promised((cb) => c.connect(cb));
      this.client = c;
    }
    return this.client;
  }

  async list() {
    const api = await this.api();
    const procs = await promised((cb) => api.list(cb));
    return procs.map((p) => ({
      name: p.name,
      program: p.name.slice(0, p.name.lastIndexOf('-')),
      state: STATES[p.pm2_env?.status] ?? 'other',
      pid: p.pid || null,
    }));
  }

  async one(name) {
    const api = await this.api();
    const [p] = await promised((cb) => api.describe(name, cb));
    if (p === undefined) return { state: 'other', pid: null };
    return { state: STATES[p.pm2_env?.status] ?? 'other', pid: p.pid || null };
  }

  async startApi(name) {
    const program = this.programs.find((p) => name.startsWith(`${p.name}-`));
    const app = appsOf(program, this.env).find((a) => a.name === name);
    const api = await this.api();
    await promised((cb) => api.start(app, cb));
  }

  cli(verb, name) {
    const words = cliWords(verb, name, ['kill']);
    return { cmd: process.execPath, args: [this.bin, ...words], env: this.env, cwd: this.work };
  }

  async waitGone() {
    const pid = this.godPid;
    await until(() => !isAlive(pid), `PM2's daemon (pid ${pid}) to exit`, { everyMs: 5 });
  }

  async disconnect() {
    const c = this.client;
    this.client = null;
    if (c !== null) await promised((cb) => c.disconnect(cb)).catch(() => {});
  }

  outputTail() {
    try {
      return readFileSync(join(this.home, 'pm2.log'), 'utf8').slice(-2000);
    } catch {
      return '(no pm2.log)';
    }
  }
}
