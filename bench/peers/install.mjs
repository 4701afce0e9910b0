// The peers, installed when missing: Supervisor from the system's packages (Debian's
// `supervisor`), PM2 from npm at a pinned version into the bench's own cache folder (never a
// dependency of taskmaster).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const PM2_VERSION = '7.0.4';

const onPath = (cmd) =>
  spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;

export function ensureSupervisor() {
  if (onPath('supervisord') && onPath('supervisorctl')) return;
  if (!onPath('apt-get')) {
    throw new Error(
      'supervisord is not installed\nhint: install Supervisor (pip install supervisor) so that supervisord and supervisorctl are on PATH, or leave it out with --only',
    );
  }
  if (process.getuid?.() !== 0) {
    throw new Error(
      'supervisord is not installed\nhint: sudo apt-get install supervisor, then run the bench again',
    );
  }
  const install = () =>
    spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'supervisor'], {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    }).status === 0;
  console.error(
    'bench:peers: installing Supervisor with apt-get (the bench runs its own supervisord, not the service)',
  );
  if (!install()) {
    execFileSync('apt-get', ['update'], { stdio: ['ignore', 'inherit', 'inherit'] });
    if (!install()) throw new Error('apt-get install supervisor failed (see above)');
  }
}

export function ensurePm2(cacheDir) {
  const pkg = join(cacheDir, 'node_modules/pm2/package.json');
  if (existsSync(pkg) && JSON.parse(readFileSync(pkg, 'utf8')).version === PM2_VERSION) return;
  mkdirSync(cacheDir, { recursive: true });
  console.error(`bench:peers: installing pm2@${PM2_VERSION} into ${cacheDir}`);
  execFileSync(
    'npm',
    [
      'install',
      '--prefix',
      cacheDir,
      '--no-audit',
      '--no-fund',
      '--save-exact',
      `pm2@${PM2_VERSION}`,
    ],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
}
