import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig, MAX_CONFIG_BYTES } from '../../../src/config/load.js';
import { ConfigError } from '../../../src/domain/errors.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tm-config-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function write(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

function loadError(file: string): ConfigError {
  try {
    loadConfig(file);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error(`${file} was accepted`);
}

describe('loadConfig', () => {
  it('reads a file and resolves its relative paths against the file folder', () => {
    const file = write(
      'tm.yaml',
      'programs:\n  web:\n    cmd: sleep 1\n    stdout: logs/web.log\n    workingdir: .\n',
    );
    const config = loadConfig(file);
    expect(config.file).toBe(file);
    expect(config.programs[0]).toMatchObject({
      name: 'web',
      argv: ['sleep', '1'],
      stdout: join(dir, 'logs/web.log'),
      workingdir: dir,
    });
    expect(config.daemon.eventlog).toBe(join(dir, 'taskmaster.db'));
    expect(config.server.tokenfile).toBe(join(dir, 'taskmaster.token'));
  });

  it('does not check that a workingdir exists: that is for spawn time', () => {
    const file = write('tm.yaml', 'programs:\n  web: { cmd: x, workingdir: /no/such/dir }\n');
    expect(loadConfig(file).programs[0]!.workingdir).toBe('/no/such/dir');
  });

  it('reports a missing file as one problem at 1:1', () => {
    const file = join(dir, 'nope.yaml');
    const err = loadError(file);
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.message).toBe(`${file}:1:1: cannot read the config file: no such file`);
    expect(err.problems).toEqual([
      {
        file,
        line: 1,
        col: 1,
        keyPath: '',
        message: 'cannot read the config file: no such file',
        hint: null,
      },
    ]);
  });

  it('reports a folder given as the file', () => {
    mkdirSync(join(dir, 'conf.yaml'));
    const file = join(dir, 'conf.yaml');
    expect(loadError(file).message).toBe(
      `${file}:1:1: cannot read the config file: it is a folder`,
    );
  });

  it('reports YAML syntax errors with their line and column', () => {
    const file = write('tm.yaml', 'programs:\n  web:\n\tcmd: x\n');
    expect(loadError(file).message).toBe(`${file}:3:1: tabs are not allowed as indentation`);
  });

  it('reports every YAML error at once', () => {
    const file = write('tm.yaml', 'programs:\n  web: { cmd: [a, b }\n');
    expect(loadError(file).message).toBe(
      [
        `${file}:2:21: flow sequence in block collection must be sufficiently indented and end with a ]`,
        `${file}:2:22: flow map in block collection must be sufficiently indented and end with a }`,
      ].join('\n'),
    );
  });

  it('reports an unterminated quote', () => {
    const file = write('tm.yaml', 'programs:\n  web:\n    cmd: "sleep 1\n');
    expect(loadError(file).message).toBe(`${file}:4:1: missing closing "quote`);
  });

  it('names the key given twice', () => {
    const file = write(
      'tm.yaml',
      'programs:\n  web:\n    env:\n      A: 1\n      A: 2\n    cmd: x\n',
    );
    expect(loadError(file).message).toBe(
      `${file}:5:7: programs.web.env.A: this key is given twice`,
    );
  });

  it('refuses a second YAML document', () => {
    const file = write('tm.yaml', 'programs:\n  web: { cmd: x }\n---\nprograms: {}\n');
    expect(loadError(file).message).toBe(
      `${file}:3:1: expected one YAML document, found several ("---")`,
    );
  });

  it('reports syntax errors alone, and the rest once they are fixed', () => {
    const broken = write('tm.yaml', 'programs:\n  web:\n    numprocs: 0\n    numprocs: 0\n');
    expect(loadError(broken).problems).toHaveLength(1);
    const fixed = write('tm.yaml', 'programs:\n  web:\n    numprocs: 0\n');
    expect(loadError(fixed).message).toBe(
      [
        `${fixed}:2:3: programs.web.cmd: expected the command to run, found nothing`,
        `${fixed}:3:15: programs.web.numprocs: expected an integer from 1 to 1000, found 0`,
      ].join('\n'),
    );
  });

  it('names the file as it was given, and keeps its absolute path in the config', () => {
    write('tm.yaml', 'programs:\n  web: { cmd: x, numprocs: 0 }\n');
    const roundabout = `${dir}/../${basename(dir)}/tm.yaml`;
    expect(loadError(roundabout).message).toBe(
      `${roundabout}:2:28: programs.web.numprocs: expected an integer from 1 to 1000, found 0`,
    );
    write('tm.yaml', 'programs:\n  web: { cmd: x }\n');
    expect(loadConfig(roundabout).file).toBe(join(dir, 'tm.yaml'));
  });
});

// issue 7: a config must not block the daemon, which loads it on its event loop
describe('loadConfig, bounded', () => {
  const HINT =
    '  hint: check that this is the config file; a config of many programs is a few hundred KiB';

  /** A valid config padded with a comment to exactly `bytes` bytes. */
  function configOf(bytes: number): string {
    const head = 'programs:\n  web: { cmd: x }\n#';
    return `${head}${'x'.repeat(bytes - head.length - 1)}\n`;
  }

  it('refuses a file over 4 MiB before reading it, naming its size', () => {
    const file = write('big.yaml', configOf(MAX_CONFIG_BYTES + 1));
    expect(loadError(file).message).toBe(
      `${file}:1:1: the config file is too large: expected at most 4194304 bytes (4 MiB), found 4194305 bytes\n${HINT}`,
    );
  });

  it('reads a file of exactly 4 MiB', () => {
    const file = write('big.yaml', configOf(MAX_CONFIG_BYTES));
    expect(loadConfig(file).programs.map((p) => p.name)).toEqual(['web']);
  });

  it('stops reading one byte past the limit where the size is not known in advance', () => {
    // a character device: its size reads 0, and it never ends
    expect(loadError('/dev/zero').message).toBe(
      `/dev/zero:1:1: the config file is too large: expected at most 4194304 bytes (4 MiB), found more than 4194304 bytes\n${HINT}`,
    );
  });

  it('loads an env of 40,000 variables in one pass (it took 12.7 s)', () => {
    const vars = Array.from({ length: 40_000 }, (_, i) => `      V${i}: value ${i}\n`).join('');
    const file = write('tm.yaml', `programs:\n  web:\n    cmd: x\n    env:\n${vars}`);
    // the bound is the test's deadline, ten times what it takes (bench/config.bench.ts measures)
    const env = loadConfig(file).programs[0]!.env;
    expect(Object.keys(env)).toHaveLength(40_000);
    expect(env.V39999).toBe('value 39999');
  }, 5000);

  it('reads 20,000 aliases in one pass (each one walked the whole document: 25 s)', () => {
    const uses = '      - *ok\n'.repeat(20_000);
    const file = write(
      'tm.yaml',
      `programs:\n  web:\n    cmd: x\n    exitcodes:\n      - &ok 0\n${uses}`,
    );
    expect(loadConfig(file).programs[0]!.exitcodes).toHaveLength(20_001);
  }, 5000);
});
