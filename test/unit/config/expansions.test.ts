import { describe, expect, it } from 'vitest';
import { diff } from '../../../src/config/diff.js';
import type { ExpansionInputs } from '../../../src/config/expand-program.js';
import { parseConfigText } from '../../../src/config/load.js';
import { ConfigError } from '../../../src/domain/errors.js';
import { instanceSpec, instanceSpecs } from '../../../src/domain/instance-spec.js';
import type { ProgramSpec } from '../../../src/domain/types.js';

const FILE = '/srv/tm/config.yaml';
const INPUTS: ExpansionInputs = {
  env: { HOME: '/home/ops', OPTS: '-v -q', EMPTY: '' },
  hostName: 'box1',
};

/** A config of one program `web` whose keys are on lines 3 on, at column 5. */
function web(...lines: string[]): string {
  return ['programs:', '  web:', ...lines.map((l) => `    ${l}`), ''].join('\n');
}

function spec(...lines: string[]): ProgramSpec {
  return parseConfigText(web(...lines), FILE, INPUTS).programs[0]!;
}

function problems(yaml: string, inputs = INPUTS): string {
  try {
    parseConfigText(yaml, 'config.yaml', inputs);
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
  throw new Error('the config was accepted');
}

describe('expansions in a program', () => {
  it('gives each instance its own port: %(process_num)02d with numprocs 3', () => {
    const s = spec('cmd: "python3 -m http.server 80%(process_num)02d"', 'numprocs: 3');
    expect(instanceSpecs(s).map((i) => i.argv)).toEqual([
      ['python3', '-m', 'http.server', '8000'],
      ['python3', '-m', 'http.server', '8001'],
      ['python3', '-m', 'http.server', '8002'],
    ]);
    expect(instanceSpec(s, 2).cmd).toBe('python3 -m http.server 8002');
    // an instance's spec is final: it has no values of other instances
    expect(instanceSpec(s, 2).perInstance).toBeUndefined();
  });

  it('expands every name in cmd, env values, workingdir, stdout and stderr', () => {
    const s = spec(
      'cmd: "run %(program_name)s %(group_name)s %(process_num)d/%(numprocs)d %(host_node_name)s"',
      'numprocs: 2',
      'env: { LOGS: "%(here)s/logs", WHO: "%(ENV_HOME)s" }',
      'workingdir: "%(ENV_HOME)s/%(program_name)s"',
      'stdout: "logs/%(program_name)s-%(process_num)d.out"',
      'stderr: { file: "%(here)s/%(program_name)s-%(process_num)d.err", maxbytes: 1MB }',
    );
    const one = instanceSpec(s, 1);
    expect(one.argv).toEqual(['run', 'web', 'web', '1/2', 'box1']);
    expect(one.env).toEqual({ LOGS: '/srv/tm/logs', WHO: '/home/ops' });
    expect(one.workingdir).toBe('/home/ops/web');
    expect(one.stdout).toBe('/srv/tm/logs/web-1.out');
    expect(one.stderr).toBe('/srv/tm/web-1.err');
    expect(one.stderrLimit).toEqual({ maxBytes: 1024 * 1024, backups: 10 });
    expect(instanceSpec(s, 0).stdout).toBe('/srv/tm/logs/web-0.out');
  });

  it('expands cmd before splitting it, as Supervisor does: a value with spaces is several words unless quoted', () => {
    expect(spec('cmd: "prog %(ENV_OPTS)s"').argv).toEqual(['prog', '-v', '-q']);
    expect(spec(`cmd: "prog '%(ENV_OPTS)s'"`).argv).toEqual(['prog', '-v -q']);
    expect(spec('cmd: "prog %(ENV_EMPTY)s end"').argv).toEqual(['prog', 'end']);
  });

  it("lets cmd, workingdir and the output files read the program's own env as ENV_", () => {
    const s = spec(
      'cmd: "serve --port %(ENV_PORT)s --home %(ENV_HOME)s"',
      'numprocs: 2',
      'env: { PORT: "90%(process_num)02d", HOME: /srv/web }',
    );
    expect(instanceSpecs(s).map((i) => i.argv.slice(2))).toEqual([
      ['9000', '--home', '/srv/web'],
      ['9001', '--home', '/srv/web'],
    ]);
  });

  it('keeps %% as a literal % and a value without % as written', () => {
    expect(spec('cmd: "date +%%s"').argv).toEqual(['date', '+%s']);
    expect(spec('cmd: sleep 1', 'env: { A: "50" }').env).toEqual({ A: '50' });
  });

  it('shares one spec between instances whose values do not differ', () => {
    const s = spec('cmd: "run %(program_name)s %(numprocs)d"', 'numprocs: 3');
    expect(s.perInstance).toBeUndefined();
    expect(instanceSpec(s, 2)).toBe(s);
    expect(s.argv).toEqual(['run', 'web', '3']);
  });

  it('shares the env object of instances whose env does not differ', () => {
    const s = spec('cmd: "run %(process_num)d"', 'numprocs: 3', 'env: { A: "1" }');
    expect(instanceSpec(s, 1).env).toBe(instanceSpec(s, 2).env);
  });

  it('leaves other keys alone: a % in user or the daemon section is literal', () => {
    const config = parseConfigText(
      'programs:\n  web:\n    cmd: x\ndaemon:\n  logfile: "/var/log/tm-%(here)s.log"\n',
      FILE,
      INPUTS,
    );
    expect(config.daemon.logfile).toBe('/var/log/tm-%(here)s.log');
  });
});

describe('expansion errors: file:line:col of the value, the key, and a did-you-mean', () => {
  it.each([
    [
      ['cmd: "x 80%(process_nun)02d"'],
      'config.yaml:3:10: programs.web.cmd: unknown expansion %(process_nun)02d\n  hint: did you mean %(process_num)02d?',
    ],
    [
      ['cmd: x', 'env: { A: "%(ENV_HOMEE)s" }'],
      'config.yaml:4:15: programs.web.env.A: unknown expansion %(ENV_HOMEE)s\n  hint: did you mean %(ENV_HOME)s?',
    ],
    [
      ['cmd: x', 'workingdir: "%(HOME)s"'],
      'config.yaml:4:17: programs.web.workingdir: unknown expansion %(HOME)s\n  hint: did you mean %(ENV_HOME)s?',
    ],
    [
      ['cmd: x', 'stdout: "100%.log"'],
      'config.yaml:4:13: programs.web.stdout: a "%" at character 4 is not followed by "(name)" or "%"\n  hint: write %% for a literal %, or %(name)s for an expansion like %(program_name)s',
    ],
    [
      ['cmd: x', 'stderr: { file: "%(program_name)d.err" }'],
      'config.yaml:4:21: programs.web.stderr.file: %(program_name)d: d formats a number, and program_name is text\n  hint: write %(program_name)s',
    ],
    [
      ['cmd: "x %(ENV_NOT_SET)s"'],
      "config.yaml:3:10: programs.web.cmd: unknown expansion %(ENV_NOT_SET)s\n  hint: NOT_SET is not set in the program's env or taskmasterd's environment; write %% for a literal %",
    ],
    [
      ['cmd: "x %(constructor)s"'],
      "config.yaml:3:10: programs.web.cmd: unknown expansion %(constructor)s\n  hint: the names are program_name, group_name, process_num, numprocs, here, host_node_name and ENV_ followed by a variable of taskmasterd's environment; write %% for a literal %",
    ],
    [
      ['cmd: x', 'env: { A: b, B: "%(ENV_A)s" }'],
      "config.yaml:4:21: programs.web.env.B: unknown expansion %(ENV_A)s\n  hint: an env value sees taskmasterd's environment, not the program's other env values",
    ],
    [['cmd: "%(ENV_EMPTY)s"'], 'config.yaml:3:10: programs.web.cmd: empty command in ""'],
    [
      ['cmd: x', 'stdout: "%(ENV_EMPTY)s"'],
      'config.yaml:4:13: programs.web.stdout: "%(ENV_EMPTY)s" expands to nothing',
    ],
  ])('%j', (lines, message) => {
    expect(problems(web(...lines))).toBe(message);
  });

  it('reports a bad expansion once, however many instances there are', () => {
    expect(problems(web('cmd: "x %(oops)d"', 'numprocs: 50')).split('\n')).toHaveLength(2);
  });

  it('reads ENV_ from the environment given at load time', () => {
    const yaml = web('cmd: "x %(ENV_TOKEN)s"');
    expect(problems(yaml)).toMatch(/unknown expansion %\(ENV_TOKEN\)s/);
    const inputs = { ...INPUTS, env: { TOKEN: 't0k' } };
    expect(parseConfigText(yaml, FILE, inputs).programs[0]!.argv).toEqual(['x', 't0k']);
  });
});

describe('the reload diff compares the expanded values, instance by instance', () => {
  const load = (...lines: string[]) => parseConfigText(web(...lines), FILE, INPUTS).programs;

  it('an unchanged template with unchanged inputs changes nothing', () => {
    const text = ['cmd: "serve 80%(process_num)02d"', 'numprocs: 3'];
    expect(diff(load(...text), load(...text)).map((c) => c.kind)).toEqual(['unchanged']);
  });

  it('numprocs raised where %(numprocs)d is used: the kept instances restart', () => {
    const old = load('cmd: "serve %(process_num)d of %(numprocs)d"', 'numprocs: 2');
    const next = load('cmd: "serve %(process_num)d of %(numprocs)d"', 'numprocs: 3');
    expect(diff(old, next)).toMatchObject([
      { kind: 'changed', keys: ['argv', 'numprocs'], restart: true, restartIndexes: [0, 1] },
    ]);
    expect(diff(old, next)[0]).toMatchObject({ addedIndexes: [2], removedIndexes: [] });
  });

  it('numprocs raised where only %(process_num)d is used: nothing restarts', () => {
    const old = load('cmd: "serve %(process_num)d"', 'numprocs: 2');
    const next = load('cmd: "serve %(process_num)d"', 'numprocs: 3');
    expect(diff(old, next)).toMatchObject([
      {
        kind: 'changed',
        keys: ['numprocs'],
        restart: false,
        restartIndexes: [],
        addedIndexes: [2],
      },
    ]);
  });

  it('only the instances whose expanded values changed restart', () => {
    const old = load('cmd: "serve 0"', 'numprocs: 3');
    const next = load('cmd: "serve %(process_num)d"', 'numprocs: 3');
    expect(diff(old, next)).toMatchObject([
      { kind: 'changed', keys: ['argv'], restart: true, restartIndexes: [1, 2] },
    ]);
  });

  it('a restart key of the program restarts every kept instance', () => {
    const old = load('cmd: "serve %(process_num)d"', 'numprocs: 2');
    const next = load('cmd: "serve %(process_num)d"', 'numprocs: 2', 'umask: 077');
    expect(diff(old, next)).toMatchObject([
      { kind: 'changed', keys: ['umask'], restartIndexes: [0, 1] },
    ]);
  });
});
