import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { glob, segmentMatcher } from '../../../src/config/glob.js';
import { includeWarnings, loadConfig } from '../../../src/config/load.js';
import { ConfigError } from '../../../src/domain/errors.js';
import { ownTempDir } from '../../helpers/processes.js';

function tree(files: Record<string, string>): string {
  const dir = ownTempDir('tm-include-');
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

function loadError(file: string): string {
  try {
    loadConfig(file);
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
  throw new Error(`${file} was accepted`);
}

const MAIN = 'include: [conf.d/*.yaml]\nprograms:\n  web:\n    cmd: sleep 1\n';

describe('glob', () => {
  it.each([
    ['*.yaml', 'a.yaml', true],
    ['*.yaml', '.hidden.yaml', false],
    ['.*.yaml', '.hidden.yaml', true],
    ['?.yaml', 'ab.yaml', false],
    ['[ab].yaml', 'b.yaml', true],
    ['[!ab].yaml', 'b.yaml', false],
    ['[!ab].yaml', 'c.yaml', true],
    ['[a-c]x', 'bx', true],
    ['[c-a]x', 'bx', false],
    ['[]]x', ']x', true],
    ['[x', '[x', true],
    ['a.b', 'axb', false],
    ['(x)+', '(x)+', true],
    ['[^a]', '^', true],
  ])('%s against %s: %s (as fnmatch)', (pattern, name, expected) => {
    expect(segmentMatcher(pattern).test(name)).toBe(expected);
  });

  it('matches files in every segment, sorted, and leaves folders out', () => {
    const dir = tree({
      'conf.d/b.yaml': '',
      'conf.d/a.yaml': '',
      'conf.d/notes.txt': '',
      'conf.d/sub.yaml/x': '',
      'hosts/box1/c.yaml': '',
      'hosts/box2/d.yaml': '',
    });
    symlinkSync(join(dir, 'conf.d/a.yaml'), join(dir, 'conf.d/link.yaml'));
    expect(glob('conf.d/*.yaml', dir)).toEqual(
      ['a.yaml', 'b.yaml', 'link.yaml'].map((f) => join(dir, 'conf.d', f)),
    );
    expect(glob('hosts/*/*.yaml', dir)).toEqual([
      join(dir, 'hosts/box1/c.yaml'),
      join(dir, 'hosts/box2/d.yaml'),
    ]);
    expect(glob(join(dir, 'conf.d/b.yaml'), '/nowhere')).toEqual([join(dir, 'conf.d/b.yaml')]);
    expect(glob('nope/*.yaml', dir)).toEqual([]);
  });
});

describe('include', () => {
  it('adds the programs of each file matched, in the order of their names, after the main ones', () => {
    const dir = tree({
      'config.yaml': MAIN,
      'conf.d/b.yaml': 'programs:\n  b:\n    cmd: sleep 2\n',
      'conf.d/a.yaml': 'programs:\n  a:\n    cmd: "run %(here)s"\n    stdout: a.log\n',
    });
    const config = loadConfig(join(dir, 'config.yaml'));
    expect(config.programs.map((p) => p.name)).toEqual(['web', 'a', 'b']);
    // a fragment's %(here)s, relative paths and default workingdir are its own folder's
    const a = config.programs[1]!;
    expect(a.argv).toEqual(['run', join(dir, 'conf.d')]);
    expect(a.stdout).toBe(join(dir, 'conf.d/a.log'));
    expect(a.workingdir).toBe(join(dir, 'conf.d'));
    expect(config.includes).toEqual([
      {
        pattern: 'conf.d/*.yaml',
        files: [join(dir, 'conf.d/a.yaml'), join(dir, 'conf.d/b.yaml')],
      },
    ]);
    expect(includeWarnings(config)).toEqual([]);
  });

  it('is fine with a pattern that matches nothing, and says so for the daemon log', () => {
    const dir = tree({ 'config.yaml': MAIN });
    const config = loadConfig(join(dir, 'config.yaml'));
    expect(config.programs.map((p) => p.name)).toEqual(['web']);
    expect(includeWarnings(config)).toEqual([
      'config: include conf.d/*.yaml: no file matches (nothing added)',
    ]);
  });

  it('reads a file once, even when the main file or two patterns match it', () => {
    const dir = tree({
      'config.yaml': 'include: ["*.yaml", "conf.d/*", "conf.d/a.yaml"]\n',
      'conf.d/a.yaml': 'programs:\n  a:\n    cmd: x\n',
    });
    expect(loadConfig(join(dir, 'config.yaml')).programs.map((p) => p.name)).toEqual(['a']);
  });

  it('takes a single pattern, and %(here)s, %(host_node_name)s and %(ENV_NAME)s in it', () => {
    const dir = tree({
      'config.yaml': 'include: "%(here)s/%(ENV_TM_TEST_PART)s/*.yaml"\n',
      'part/a.yaml': 'programs:\n  a:\n    cmd: x\n',
    });
    const inputs = { env: { TM_TEST_PART: 'part' }, hostName: 'box' };
    expect(loadConfig(join(dir, 'config.yaml'), inputs).programs.map((p) => p.name)).toEqual(['a']);
  });

  it('names both files and lines of a program defined twice', () => {
    const dir = tree({
      'config.yaml': MAIN,
      'conf.d/a.yaml': '# web again\nprograms:\n  web:\n    cmd: sleep 2\n',
    });
    const file = join(dir, 'config.yaml');
    expect(loadError(file)).toBe(
      `${join(dir, 'conf.d/a.yaml')}:3:3: programs.web: the program web is defined twice: here and at ${file}:3:3\n  hint: define each program in one file only`,
    );
  });

  it("names a fragment's file:line:col for its problems, and refuses the whole config", () => {
    const dir = tree({
      'config.yaml': MAIN,
      'conf.d/a.yaml': 'programs:\n  a:\n    cmd: x\n    numprocs: many\n',
      'conf.d/b.yaml': 'programs:\n  b: [oops\n',
    });
    const message = loadError(join(dir, 'config.yaml'));
    expect(message).toMatch(
      new RegExp(`^${join(dir, 'conf.d/a.yaml')}:4:15: programs.a.numprocs: expected an integer`),
    );
    expect(message).toContain(`\n${join(dir, 'conf.d/b.yaml')}:3:1: flow sequence`);
  });

  it('names fragments relative to the main file as it was given', () => {
    const dir = tree({ 'config.yaml': MAIN, 'conf.d/a.yaml': 'programs:\n  a: {}\n' });
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      expect(loadError('config.yaml')).toMatch(/^conf\.d\/a\.yaml:2:3: programs\.a\.cmd: /);
    } finally {
      process.chdir(cwd);
    }
  });

  it.each([
    [
      'daemon:\n  pidfile: x.pid\n',
      'a file named by include holds only programs: put daemon in the main config',
    ],
    ['include: [more/*.yaml]\n', 'includes do not nest: write the pattern in the main config'],
    ['programz: {}\n', 'did you mean programs?'],
  ])('lets a fragment hold only programs: %j', (text, hint) => {
    const dir = tree({ 'config.yaml': MAIN, 'conf.d/a.yaml': text });
    expect(loadError(join(dir, 'config.yaml'))).toMatch(
      new RegExp(
        `^${join(dir, 'conf.d/a.yaml')}:1:1: \\w+: unknown key\\n  hint: ${hint.replace(/[?]/g, '\\?')}$`,
      ),
    );
  });

  it('refuses a pattern that is not text, at its place', () => {
    const dir = tree({ 'config.yaml': 'include: [conf.d/*.yaml, 3]\n' });
    expect(loadError(join(dir, 'config.yaml'))).toBe(
      `${join(dir, 'config.yaml')}:1:26: include[1]: expected a file pattern like conf.d/*.yaml, found 3`,
    );
  });
});
