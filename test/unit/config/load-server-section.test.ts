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

  it('reports a syntax error that may have changed the section', () => {
    expect(problems(write('server:\n  port: [9001\n'))).toMatch(/config\.yaml:\d+:\d+: /);
    // the section cannot be found: the error may have swallowed it
    expect(problems(write('programs: "unclosed\nserver:\n  port: 9001\n'))).toMatch(
      /config\.yaml:\d+:\d+: /,
    );
  });

  it('reports a file it cannot read', () => {
    const file = join(dir, 'nope.yaml');
    expect(problems(file)).toBe(`${file}:1:1: cannot read the config file: no such file`);
  });
});
