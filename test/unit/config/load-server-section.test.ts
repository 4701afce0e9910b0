import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadServerSection } from '../../../src/config/load.js';
import { ConfigError } from '../../../src/domain/errors.js';

// tm reads only the server section: the rest of the file is the daemon's to judge (issue 3)

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tm-server-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function write(text: string): string {
  const file = join(dir, 'config.yaml');
  writeFileSync(file, text);
  return file;
}

function problems(file: string): string {
  try {
    loadServerSection(file);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error(`${file} was accepted`);
}

describe('loadServerSection', () => {
  it('reads the section, resolving the token file against the config folder', () => {
    const file = write(
      'programs:\n  web: { cmd: sleep 1 }\nserver:\n  host: ::1\n  port: 9001\n  tokenfile: secret/tm.token\n',
    );
    expect(loadServerSection(file)).toEqual({
      host: '::1',
      port: 9001,
      tokenfile: join(dir, 'secret/tm.token'),
    });
  });

  it('gives the defaults without a server section', () => {
    expect(loadServerSection(write('programs:\n  web: { cmd: sleep 1 }\n'))).toEqual({
      host: '127.0.0.1',
      port: 7878,
      tokenfile: join(dir, 'taskmaster.token'),
    });
  });

  it('ignores problems outside the section, syntax errors included', () => {
    const file = write(
      [
        'programs:',
        '  web:',
        '    cmd: sleep 1',
        '    umask: abc',
        '    bogus: 1',
        '  web: { cmd: a duplicate key }',
        'email: { to: nobody }',
        'server:',
        '  port: 9001',
        '',
      ].join('\n'),
    );
    expect(loadServerSection(file).port).toBe(9001);
  });

  it('reports the problems of the section itself, with their place', () => {
    const file = write('programs: {}\nserver:\n  port: 99999\n  tokenfil: x\n  host: [a, b]\n');
    expect(problems(file)).toBe(
      [
        `${file}:3:9: server.port: expected an integer from 0 to 65535, found 99999`,
        `${file}:4:3: server.tokenfil: unknown key`,
        '  hint: did you mean tokenfile?',
        `${file}:5:9: server.host: expected a host name or address, found a list`,
      ].join('\n'),
    );
  });

  it('reports a syntax error inside the section, at its place in the file', () => {
    const file = write('programs:\n  web: { cmd: x }\nserver:\n  port: [9001\n');
    expect(problems(file)).toBe(
      `${file}:5:1: flow sequence in block collection must be sufficiently indented and end with a ]`,
    );
  });

  it('finds the section by its line: an unclosed quote above it does not hide it', () => {
    // parsed whole, YAML would read the rest of the file into the string
    expect(loadServerSection(write('programs: "unclosed\nserver:\n  port: 9001\n')).port).toBe(
      9001,
    );
  });

  it('reports a syntax error that may have hidden the section, in a file of another shape', () => {
    // a flow mapping is parsed whole: there the section cannot be found at all
    expect(problems(write('{ programs: "unclosed, server: { port: 9001 } }\n'))).toMatch(
      /config\.yaml:\d+:\d+: /,
    );
  });

  // issue 7: tm's cost must not grow with the programs section
  it('does not parse the programs section: 40,000 variables there (12.7 s to parse) cost nothing', () => {
    const vars = Array.from({ length: 40_000 }, (_, i) => `      V${i}: 1\n`).join('');
    const file = write(`programs:\n  web:\n    cmd: x\n    env:\n${vars}server:\n  port: 99999\n`);
    // the section's own problem, at its line in the file
    expect(problems(file)).toBe(
      `${file}:40006:9: server.port: expected an integer from 0 to 65535, found 99999`,
    );
  }, 2000);

  it('keeps comment lines at column 0 inside the section', () => {
    const file = write('server:\n  port: 9001\n# the address\n  host: ::1\nprograms: {}\n');
    expect(loadServerSection(file)).toMatchObject({ host: '::1', port: 9001 });
  });

  it.each([
    ['a flow mapping', '{ programs: { web: { cmd: x } }, server: { port: 9001 } }\n'],
    ['an indented root', '  programs: {}\n  server:\n    port: 9001\n'],
    ['a document start', '--- # config\nprograms: {}\nserver:\n  port: 9001\n'],
    ['a quoted key', 'programs: {}\n"server":\n  port: 9001\n'],
    ['an alias to an anchor above', 'programs: {}\nport: &p 9001\nserver:\n  port: *p\n'],
  ])('reads a file of another shape whole: %s', (_, yaml) => {
    expect(loadServerSection(write(yaml)).port).toBe(9001);
  });

  it('reports the section given twice', () => {
    const file = write('server:\n  port: 9001\nprograms: {}\nserver:\n  port: 9002\n');
    expect(problems(file)).toBe(`${file}:4:1: server: this key is given twice`);
  });

  it('reports a file it cannot read', () => {
    const file = join(dir, 'nope.yaml');
    expect(problems(file)).toBe(`${file}:1:1: cannot read the config file: no such file`);
  });
});
