import type { ProgramSpec } from '../../src/domain/types.js';

/**
 * A valid ProgramSpec with short clocks, for tests that need one without a config file.
 * Self-contained on purpose: it does not follow `config/defaults.ts`, so a change of a default
 * never changes what a machine test means. `cmd` and `argv` follow each other unless one is given.
 */
export function makeSpec(overrides: Partial<ProgramSpec> = {}): ProgramSpec {
  const argv = overrides.argv ?? overrides.cmd?.split(/\s+/).filter(Boolean) ?? ['sleep', '60'];
  return {
    name: 'web',
    argv,
    cmd: argv.join(' '),
    numprocs: 1,
    autostart: true,
    autorestart: 'unexpected',
    exitcodes: [0],
    startTimeMs: 100,
    startRetries: 2,
    stopSignal: 'SIGTERM',
    stopTimeMs: 100,
    restartDelayMaxMs: 30_000,
    stdout: null,
    stderr: null,
    stdoutLimit: { maxBytes: 50 * 1024 * 1024, backups: 10 },
    stderrLimit: { maxBytes: 50 * 1024 * 1024, backups: 10 },
    env: {},
    workingdir: null,
    umask: null,
    user: null,
    priority: 999,
    ...overrides,
  };
}
