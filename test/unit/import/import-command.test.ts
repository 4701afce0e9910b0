import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runClient } from '../../../src/client/cli.js';
import type { Io } from '../../../src/client/command.js';
import { fixture, tempDir } from '../../helpers/test-daemon.js';

/** `tm import` through runClient, with its output captured: it needs no daemon. */
async function tm(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: Io = {
    stdout: (t) => (out += t),
    stderr: (t) => (err += t),
    isTTY: false,
    env: { HOME: '/home/tester' },
    now: () => 0,
    onInterrupt: () => () => {},
  };
  const code = await runClient(argv, '0.1.0', io);
  return { code, out, err };
}

const MINIMAL = fixture('supervisor/minimal.conf');

describe('tm import', () => {
  it('writes the config to stdout, and nothing on stderr when all is carried over', async () => {
    const r = await tm(['import', MINIMAL]);
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    expect(r.out).toMatch(/^# taskmaster config written by tm import from /);
    expect(r.out).toContain('  app:\n    cmd: /bin/cat\n');
  });

  it('--output: 0600 when it holds a password; kept unless --force', async () => {
    const out = join(tempDir(), 'config.yaml');
    const full = fixture('supervisor/full.conf');
    expect((await tm(['import', full, '--output', out])).code).toBe(0);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(readFileSync(out, 'utf8')).toContain('xmlrpc: { socket: ');
    const again = await tm(['import', MINIMAL, '-o', out]);
    expect(again).toEqual({
      code: 1,
      out: '',
      err: `tm: import: ${out}: ${out} exists already\nhint: --force replaces it\n`,
    });
    expect((await tm(['import', MINIMAL, '-o', out, '--force'])).code).toBe(0);
    expect(readFileSync(out, 'utf8')).not.toContain('xmlrpc');
    expect(statSync(out).mode & 0o777).toBe(0o600);
  });

  it('--json: the YAML and what was not carried over', async () => {
    const r = await tm(['--json', 'import', fixture('supervisor/plugins.conf')]);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.out) as { output: null; yaml: string; notcarriedover: unknown[] };
    expect(json.output).toBeNull();
    expect(json.yaml).toContain('  app:\n');
    expect(json.notcarriedover).toEqual([
      {
        file: fixture('supervisor/plugins.conf'),
        line: 4,
        where: '[rpcinterface:twiddler]',
        message:
          "taskmaster serves Supervisor's own API only, not supervisor_twiddler.rpcinterface:make_twiddler_rpcinterface",
      },
      {
        file: fixture('supervisor/plugins.conf'),
        line: 7,
        where: '[ctlplugin:serialrestart]',
        message: 'supervisorctl plugins have no counterpart in tm',
      },
    ]);
  });

  it('usage mistakes: exit status 2', async () => {
    expect(await tm(['import'])).toMatchObject({
      code: 2,
      err: 'tm: import: missing SUPERVISORD_CONF\nhint: usage: tm import [--output FILE] [--force] SUPERVISORD_CONF\n',
    });
    expect(await tm(['import', MINIMAL, '--force'])).toMatchObject({
      code: 2,
      err: 'tm: import: --force goes with --output FILE\nhint: usage: tm import [--output FILE] [--force] SUPERVISORD_CONF\n',
    });
  });
});
