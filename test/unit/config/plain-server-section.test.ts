import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cutServerSection } from '../../../src/config/config-text.js';
import { loadServerSection } from '../../../src/config/load.js';
import { plainServerSection } from '../../../src/config/plain-server-section.js';
import { ConfigError } from '../../../src/domain/errors.js';

// issue 10: tm reads the server section without the YAML package when its lines are plain; where
// that reader answers, it must answer what the YAML reader does

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tm-plain-server-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function plain(text: string): { file: string; result: ReturnType<typeof plainServerSection> } {
  const file = join(dir, 'config.yaml');
  writeFileSync(file, text);
  const cut = cutServerSection(text);
  if (cut === null) throw new Error('the test text is not of the shape cutServerSection cuts');
  return { file, result: plainServerSection(cut === 'absent' ? null : cut.text, file) };
}

/** What the YAML reader makes of the file: the section, or its error's message. */
function full(file: string): unknown {
  try {
    const { host, port, tokenfile } = loadServerSection(file);
    return { host, port, tokenfile };
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
}

const PROGRAMS = 'programs:\n  web: { cmd: sleep 1 }\n';

describe('plainServerSection', () => {
  it.each([
    ['the example config', readFileSync('config.example.yaml', 'utf8')],
    ['no server section', PROGRAMS],
    ['the port alone', `${PROGRAMS}server:\n  port: 9001\n`],
    ['all three keys', `server:\n  host: ::1\n  port: 9001\n  tokenfile: secret/tm.token\n`],
    ['quoted values', `server:\n  host: "localhost"\n  tokenfile: 'my token'\n${PROGRAMS}`],
    [
      'comments and blank lines',
      `server: # the address\n\n  port: 9001 # here\n# note\n  host: a.b\n`,
    ],
    ['CRLF line ends', `server:\r\n  port: 9001\r\n  host: h1\r\n`],
    ['an absolute token file', `server:\n    tokenfile: /run/tm.token\n    port: 0\n`],
    ['a host with @, + and =', `server:\n  host: a+b@c=d\n`],
    ['a tab after the colon', 'server:\n  host:\ta\n'],
  ])('answers as the YAML reader does, without it: %s', (_, text) => {
    const { file, result } = plain(text);
    expect(result).not.toBeNull();
    expect(result).toEqual(full(file));
  });

  it.each([
    ['a port out of range', 'server:\n  port: 99999\n'],
    ['a quoted port', 'server:\n  port: "9001"\n'],
    ['a hex port', 'server:\n  port: 0x10\n'],
    ['a negative port', 'server:\n  port: -1\n'],
    ['a float port', 'server:\n  port: 90.5\n'],
    ['a number as host', 'server:\n  host: 1234\n'],
    ['a float as host', 'server:\n  host: 1.5e3\n'],
    ['null as host', 'server:\n  host: ~\n'],
    ['a boolean as token file', 'server:\n  tokenfile: true\n'],
    ['an empty value', 'server:\n  host:\n'],
    ['an empty quoted value', 'server:\n  host: ""\n'],
    ['an unknown key', 'server:\n  prot: 9001\n'],
    ['a key twice', 'server:\n  port: 9001\n  port: 9002\n'],
    ['two indents', 'server:\n  port: 9001\n   host: a\n'],
    ['a nested block', 'server:\n  host:\n    a: b\n'],
    ['a flow mapping', 'server: { port: 9001 }\n'],
    ['a null section', 'server:\nprograms: {}\n'],
    ['an anchor', 'server:\n  port: &p 9001\n'],
    ['a tag', 'server:\n  host: !!str 1234\n'],
    ['an escape', 'server:\n  host: "a\\tb"\n'],
    ['a list item', 'server:\n  - port\n'],
    ['a trailing colon', 'server:\n  host: a:\n'],
    ['a block scalar', 'server:\n  host: |\n    a\n'],
  ])('leaves to the YAML reader: %s', (_, text) => {
    expect(plain(text).result).toBeNull();
  });
});
