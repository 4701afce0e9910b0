import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../src/config/load.js';
import { MAX_ALIAS_NODES } from '../../../src/config/validate.js';
import { ConfigError } from '../../../src/domain/errors.js';

// issue 7: duplicate keys and aliases are found in one pass of our own (the yaml package's are
// quadratic); what the user reads is what the yaml package's check said before

function problems(yaml: string): string {
  try {
    parseConfigText(yaml, 'config.yaml');
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
  throw new Error('the config was accepted');
}

describe('duplicate keys', () => {
  it('names each key given twice, at the second one, and reports them alone', () => {
    const yaml = [
      'programs:',
      '  web:',
      '    cmd: x',
      '    numprocs: 0',
      '    cmd: y',
      '  web: { cmd: z, env: { A: 1, B: 2, A: 3 } }',
      'server: { port: 1, port: 2 }',
      'programs: {}',
      '',
    ].join('\n');
    // numprocs: 0 is wrong too, but which web or cmd is meant is not known: only these are said
    expect(problems(yaml)).toBe(
      [
        'config.yaml:5:5: programs.web.cmd: this key is given twice',
        'config.yaml:6:3: programs.web: this key is given twice',
        'config.yaml:6:37: programs.web.env.A: this key is given twice',
        'config.yaml:7:20: server.port: this key is given twice',
        'config.yaml:8:1: programs: this key is given twice',
      ].join('\n'),
    );
  });

  it('finds them in mappings inside lists', () => {
    const yaml = 'programs:\n  web: { cmd: x }\nemail:\n  to:\n    - { a: 1, a: 2 }\n';
    expect(problems(yaml)).toBe('config.yaml:5:15: email.to[0].a: this key is given twice');
  });

  it('compares keys by value, as YAML does: 1 and "1" differ, 022 and 22 are one', () => {
    expect(problems('programs:\n  web: { cmd: x, env: { 1: a, "1": b } }\n')).not.toMatch(/twice/);
    expect(problems('programs:\n  web:\n    cmd: x\n    env: { 22: a, 022: b }\n')).toBe(
      'config.yaml:4:19: programs.web.env.022: this key is given twice',
    );
  });
});

describe('aliases', () => {
  it('stand for the latest anchor of their name before them', () => {
    const config = parseConfigText(
      [
        'programs:',
        '  a: { cmd: x, env: &e { A: "1" } }',
        '  b: { cmd: x, env: &e { A: "2" } }',
        '  c: { cmd: x, env: *e }',
        '',
      ].join('\n'),
      'config.yaml',
    );
    expect(config.programs.map((p) => p.env)).toEqual([{ A: '1' }, { A: '2' }, { A: '2' }]);
  });

  it('refuses a file whose aliases stand for more than a million keys and values', () => {
    // 2 nodes a variable + the mapping: 1,001 of them each time the alias is read
    const vars = Array.from({ length: 500 }, (_, i) => `      V${i}: v\n`).join('');
    const uses = Array.from({ length: 1000 }, (_, i) => `  p${i}: { cmd: x, env: *e }\n`);
    const yaml = `programs:\n  base:\n    cmd: x\n    env: &e\n${vars}${uses.join('')}`;
    // the thousandth use (p999, on line 1,504) goes past the limit: 1000 × 1001 nodes
    expect(MAX_ALIAS_NODES).toBe(1_000_000);
    expect(problems(yaml)).toBe(
      [
        'config.yaml:1504:24: programs.p999.env: the aliases of this file expand to more than 1000000 keys and values',
        '  hint: each use of an alias is read again: share smaller parts, or share them fewer times',
      ].join('\n'),
    );
  });

  it('are read as many times as they are used below that', () => {
    const vars = Array.from({ length: 100 }, (_, i) => `      V${i}: v\n`).join('');
    const uses = Array.from({ length: 1000 }, (_, i) => `  p${i}: { cmd: x, env: *e }\n`);
    const config = parseConfigText(
      `programs:\n  base:\n    cmd: x\n    env: &e\n${vars}${uses.join('')}`,
      'config.yaml',
    );
    expect(config.programs).toHaveLength(1001);
    expect(Object.keys(config.programs[1000]!.env)).toHaveLength(100);
  });
});
