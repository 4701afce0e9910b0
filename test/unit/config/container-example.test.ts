import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';

// Docs-sync: the config the Dockerfile ships must load, and write only to the image's volume.
const FILE = fileURLToPath(new URL('../../../examples/container.yaml', import.meta.url));

describe('examples/container.yaml', () => {
  it('is valid, and every file the daemon writes is under /var/lib/taskmaster', () => {
    const config = loadConfig(FILE);
    const written = [
      config.daemon.eventlog,
      config.daemon.logfile,
      config.daemon.pidfile,
      config.server.tokenfile,
      ...config.programs.flatMap((p) => [p.stdout, p.stderr]).filter((f) => f !== null),
    ];
    expect(written.filter((f) => !f.startsWith('/var/lib/taskmaster/'))).toEqual([]);
    expect(config.server).toMatchObject({ host: '0.0.0.0', port: 7878 });
  });
});
