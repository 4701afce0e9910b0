import { describe, expect, it } from 'vitest';
import { parseArgv, type OptionSpec } from '../../../src/client/argv.js';
import { UsageError } from '../../../src/client/usage-error.js';

const OWN: Record<string, readonly OptionSpec[]> = {
  status: [],
  start: [{ long: '--no-wait', help: '' }],
  log: [
    { long: '--limit', short: '-n', value: 'N', help: '' },
    { long: '--since', value: 'TIME', help: '' },
    { long: '--follow', short: '-f', help: '' },
  ],
  signal: [],
};
const parse = (...argv: string[]) => parseArgv(argv, (name) => OWN[name] ?? null, Object.keys(OWN));

function usageError(...argv: string[]): { message: string; hint: string | null } {
  try {
    parse(...argv);
  } catch (error) {
    if (error instanceof UsageError) return { message: error.message, hint: error.hint };
    throw error;
  }
  throw new Error(`${argv.join(' ')} was accepted`);
}

describe('parseArgv', () => {
  it('takes global options before and after the command, in both spellings', () => {
    const inv = parse('-c', 'a.yaml', 'status', '--json', '--port=7000', 'web', '--host', 'h');
    expect(inv).toEqual({
      global: {
        config: 'a.yaml',
        host: 'h',
        port: 7000,
        json: true,
        help: false,
        version: false,
      },
      command: 'status',
      args: ['web'],
      options: new Map(),
    });
    expect(parse('--config=b.yaml', 'status').global.config).toBe('b.yaml');
  });

  it("reads a command's own options by long name, short name and --opt=value", () => {
    const inv = parse('log', 'web:0', '-n', '5', '--since=10m', '-f', 'api');
    expect(inv.command).toBe('log');
    expect(inv.args).toEqual(['web:0', 'api']);
    expect(inv.options).toEqual(
      new Map<string, string | true>([
        ['limit', '5'],
        ['since', '10m'],
        ['follow', true],
      ]),
    );
    expect(parse('start', '--no-wait', 'all').options.get('no-wait')).toBe(true);
  });

  it('gives no command for an empty argv, and notes -h and -v', () => {
    expect(parse().command).toBeNull();
    expect(parse('-h').global.help).toBe(true);
    expect(parse('start', '--help').global).toMatchObject({ help: true });
    expect(parse('-v').global.version).toBe(true);
  });

  it('takes -9 as an argument and everything after -- as arguments', () => {
    expect(parse('signal', '-9', 'web').args).toEqual(['-9', 'web']);
    expect(parse('status', '--', '--json').args).toEqual(['--json']);
    expect(parse('status', '--', '--json').global.json).toBe(false);
  });

  it('refuses an unknown command with a did-you-mean', () => {
    expect(usageError('stauts')).toEqual({
      message: 'unknown command: stauts (did you mean status?)',
      hint: 'tm help lists the commands',
    });
    expect(usageError('frobnicate').message).toBe('unknown command: frobnicate');
  });

  it('refuses an unknown option, naming the command and the closest option', () => {
    expect(usageError('log', '--limt', '3')).toEqual({
      message: 'log: unknown option: --limt (did you mean --limit?)',
      hint: 'tm help log lists the options',
    });
    // an option of another command is unknown here
    expect(usageError('status', '--limit', '3')).toEqual({
      message: 'status: unknown option: --limit',
      hint: 'tm help status lists the options',
    });
    expect(usageError('--jsn').message).toBe('unknown option: --jsn (did you mean --json?)');
    expect(usageError('-x', 'status').hint).toBe('tm help lists the options');
  });

  it('refuses a missing value, a value given to a flag, and a bad port', () => {
    expect(usageError('status', '-c').message).toBe('--config needs a value (FILE)');
    expect(usageError('log', '--limit=').message).toBe('--limit needs a value (N)');
    expect(usageError('status', '--json=yes').message).toBe('--json takes no value, found "yes"');
    expect(usageError('--port', 'http', 'status').message).toBe(
      '--port: expected a port number from 1 to 65535, found "http"',
    );
    expect(usageError('--port', '70000', 'status').message).toBe(
      '--port: expected a port number from 1 to 65535, found "70000"',
    );
  });
});
