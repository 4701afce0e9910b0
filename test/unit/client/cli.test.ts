import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runClient } from '../../../src/client/cli.js';
import type { Io } from '../../../src/client/command.js';
import { EXIT, exitCodeFor } from '../../../src/client/exit-codes.js';
import { ERROR_CODES } from '../../../src/domain/errors.js';

/** runClient with its output captured; nothing here reaches a daemon. */
async function tm(
  argv: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: Io = {
    stdout: (t) => (out += t),
    stderr: (t) => (err += t),
    isTTY: false,
    env,
    now: () => 0,
    onInterrupt: () => () => {},
  };
  const code = await runClient(argv, '0.1.0', io);
  return { code, out, err };
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tm-cli-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('tm without a daemon', () => {
  it('prints the help for help and -h, with the exit status table', async () => {
    const help = await tm(['help']);
    expect(help.code).toBe(EXIT.ok);
    expect(help.out).toMatch(/^usage: tm \[-c CONFIG\]/);
    expect(help.out).toContain(
      [
        'exit status:',
        '  0  ok',
        '  1  a target failed: unknown name, spawn error, refused config, not running …',
        '  2  usage: unknown command or option, bad argument, no config file',
        '  3  taskmasterd unreachable, or it refused tm (wrong token, other protocol version)',
      ].join('\n'),
    );
    for (const c of ['status', 'start', 'stop', 'restart', 'signal', 'pid', 'log', 'reload']) {
      expect(help.out).toMatch(new RegExp(`^  ${c} `, 'm'));
    }
    expect((await tm(['-h'])).out).toBe(help.out);
    expect((await tm(['--json', 'help'])).out).toBe(help.out);
  });

  it("prints a command's usage for help COMMAND and COMMAND --help", async () => {
    const help = await tm(['help', 'start']);
    expect(help.code).toBe(EXIT.ok);
    expect(help.out.split('\n').slice(0, 3)).toEqual([
      'usage: tm start [--no-wait] NAME…',
      '',
      'Start instances and wait until they run.',
    ]);
    expect(help.out).toContain('--no-wait');
    expect((await tm(['start', '--help'])).out).toBe(help.out);
    expect((await tm(['-h', 'start'])).out).toBe(help.out);
  });

  it('prints its version', async () => {
    expect(await tm(['--version'])).toEqual({ code: 0, out: 'tm 0.1.0\n', err: '' });
    expect((await tm(['-v', 'status'])).out).toBe('tm 0.1.0\n');
  });

  it('exits 2 on a usage error, saying what is wrong and what to do', async () => {
    expect(await tm(['stauts'])).toEqual({
      code: EXIT.usage,
      out: '',
      err: 'tm: unknown command: stauts (did you mean status?)\nhint: tm help lists the commands\n',
    });
    expect(await tm(['help', 'stauts'])).toEqual({
      code: EXIT.usage,
      out: '',
      err: 'tm: help: unknown command: stauts (did you mean status?)\nhint: tm help lists the commands\n',
    });
    expect(await tm(['start'])).toEqual({
      code: EXIT.usage,
      out: '',
      err: 'tm: start: missing NAME…\nhint: usage: tm start [--no-wait] NAME…\n',
    });
    expect((await tm(['signal', 'HUP'])).err).toBe(
      'tm: signal: missing NAME…\nhint: usage: tm signal SIG NAME…\n',
    );
    expect((await tm(['signal'])).err).toMatch(/^tm: signal: missing SIG NAME…\n/);
    expect(await tm(['reload', 'web'])).toEqual({
      code: EXIT.usage,
      out: '',
      err: 'tm: reload: takes no arguments, found "web"\nhint: usage: tm reload\n',
    });
    expect((await tm(['help', 'a', 'b'])).err).toMatch(/^tm: help: takes at most 1, found "b"\n/);
    expect((await tm(['status', '--bogus'])).code).toBe(EXIT.usage);
  });

  it('checks --limit and --since before it looks for the daemon', async () => {
    const config = join(dir, 'config.yaml');
    writeFileSync(config, 'programs: {}\n');
    expect(await tm(['-c', config, 'log', '--limit', 'ten'])).toEqual({
      code: EXIT.usage,
      out: '',
      err: 'tm: --limit: expected a whole number from 1 to 5000, found "ten"\n',
    });
    // no history at all makes sense only when new events follow (issue 8)
    expect(await tm(['-c', config, 'log', '--limit', '0'])).toEqual({
      code: EXIT.usage,
      out: '',
      err: 'tm: --limit: expected a whole number from 1 to 5000, found "0"\nhint: --limit 0 (no history, new events only) goes with -f\n',
    });
    expect((await tm(['-c', config, 'log', '-f', '--limit', '-1'])).err).toBe(
      'tm: --limit: expected a whole number from 0 to 5000, found "-1"\n',
    );
    expect((await tm(['-c', config, 'log', '--since', 'soon'])).err).toMatch(
      /^tm: --since: expected a time like .*, found "soon"\n$/,
    );
  });

  it('exits 2 without a config file, saying how to give one', async () => {
    const expected = {
      code: EXIT.usage,
      out: '',
      err:
        'tm: no config file: tm reads the address and the token of taskmasterd from its config\n' +
        'hint: pass it with tm -c config.yaml COMMAND, or set TM_CONFIG=config.yaml\n',
    };
    expect(await tm(['status'])).toEqual(expected);
    expect(await tm(['status'], { TM_CONFIG: '' })).toEqual(expected);
  });

  it('exits 2 on a config it cannot use, naming the place of the problem', async () => {
    const missing = join(dir, 'nope.yaml');
    expect(await tm(['-c', missing, 'status'])).toEqual({
      code: EXIT.usage,
      out: '',
      err: `tm: ${missing}:1:1: cannot read the config file: no such file\n`,
    });
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'programs: {}\nserver:\n  port: http\n');
    expect((await tm(['status'], { TM_CONFIG: bad })).err).toBe(
      `tm: ${bad}:3:9: server.port: expected an integer from 0 to 65535, found "http"\n`,
    );
    const zero = join(dir, 'zero.yaml');
    writeFileSync(zero, 'server: { port: 0 }\n');
    expect(await tm(['-c', zero, 'status'])).toEqual({
      code: EXIT.usage,
      out: '',
      err:
        `tm: server.port is 0 in ${zero}: taskmasterd listens on a port the system picked\n` +
        'hint: pass it with --port PORT (taskmasterd logs "listening on HOST:PORT")\n',
    });
  });

  it('exits 3 when the token file cannot be read', async () => {
    const config = join(dir, 'config.yaml');
    writeFileSync(config, 'server: { port: 7878, tokenfile: secret }\n');
    expect(await tm(['-c', config, 'status'])).toEqual({
      code: EXIT.unreachable,
      out: '',
      err:
        `tm: cannot read the token file ${join(dir, 'secret')}: no such file\n` +
        'hint: the daemon creates it when it starts; run tm as a user who can read it\n',
    });
  });
});

describe('exitCodeFor', () => {
  it('maps every error code to 1, 2 or 3', () => {
    const table = Object.fromEntries(ERROR_CODES.map((c) => [c, exitCodeFor(c)]));
    expect(table).toMatchObject({
      UNREACHABLE: 3,
      UNAUTHORIZED: 3,
      VERSION_MISMATCH: 3,
      BAD_PARAMS: 2,
      NO_SUCH_PROGRAM: 1,
      SPAWN_FAILED: 1,
      CONFIG_INVALID: 1,
      SHUTTING_DOWN: 1,
      INTERNAL: 1,
    });
    expect(Object.values(table).every((c) => c === 1 || c === 2 || c === 3)).toBe(true);
  });
});
