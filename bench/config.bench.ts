import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bench, describe } from 'vitest';
import { loadConfig, loadServerSection } from '../src/config/load.js';

/**
 * What a reload costs the daemon, which reads the config on its event loop (issue 7: an env of
 * 40k variables took 12.7 s), and what `tm` pays to find the daemon in the same files.
 */
const dir = mkdtempSync(join(tmpdir(), 'tm-bench-'));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const vars = Array.from({ length: 40_000 }, (_, i) => `      VAR_${i}: value ${i}\n`).join('');
const bigEnv = file(
  'env.yaml',
  `programs:\n  web:\n    cmd: sleep 1\n    env:\n${vars}server:\n  port: 7878\n`,
);

const blocks = Array.from(
  { length: 1000 },
  (_, i) =>
    `  p${i}:\n    cmd: sleep 1000\n    numprocs: 2\n    autorestart: always\n    stoptime: 1\n    env: { A: "1", B: two }\n`,
).join('');
const manyPrograms = file('programs.yaml', `programs:\n${blocks}server:\n  port: 7878\n`);

describe('config load', () => {
  bench('loadConfig: one program with an env of 40,000 variables (1.1 MiB)', () => {
    loadConfig(bigEnv);
  });

  bench('loadConfig: 1000 programs', () => {
    loadConfig(manyPrograms);
  });

  bench('tm: loadServerSection of the 40,000-variable file', () => {
    loadServerSection(bigEnv);
  });

  bench('tm: loadServerSection of the 1000-program file', () => {
    loadServerSection(manyPrograms);
  });
});
