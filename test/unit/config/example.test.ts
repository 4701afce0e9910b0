// Docs-sync: config.example.yaml must stay valid and document every key validate.ts knows.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EMAIL_DEFAULTS } from '../../../src/config/defaults.js';
import { loadConfig, parseConfigText } from '../../../src/config/load.js';
import {
  DAEMON_KEYS,
  EMAIL_KEYS,
  PROGRAM_KEYS,
  SERVER_KEYS,
  SMTP_KEYS,
  TOP_KEYS,
} from '../../../src/config/validate.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const FILE = join(ROOT, 'config.example.yaml');
const TEXT = readFileSync(FILE, 'utf8');

/**
 * The text under each top-level section, commented out or not (`email` is commented out: a fresh
 * machine has no SMTP server).
 */
function sections(): Map<string, string> {
  const out = new Map<string, string>();
  let current: string | null = null;
  for (const line of TEXT.split('\n')) {
    const header = /^(?:# )?([a-z]+):/.exec(line)?.[1];
    if (header !== undefined && (TOP_KEYS as readonly string[]).includes(header)) {
      current = header;
      out.set(current, '');
    } else if (current !== null) {
      out.set(current, `${out.get(current)}${line}\n`);
    }
  }
  return out;
}

function documents(block: string | undefined, key: string): boolean {
  return new RegExp(`^\\s*(?:#\\s*)?${key}:`, 'm').test(block ?? '');
}

describe('config.example.yaml', () => {
  it('is a valid config', () => {
    const config = loadConfig(FILE);
    expect(config.programs.map((p) => p.name)).toEqual(['web', 'worker', 'sleeper']);
    expect(config.programs[0]).toMatchObject({
      argv: ['python3', '-m', 'http.server', '8080', '--bind', '127.0.0.1'],
      umask: 0o22,
      stdout: join(ROOT, 'web.stdout.log'),
      workingdir: join(ROOT, 'examples'),
    });
    expect(config.programs[2]).toMatchObject({ numprocs: 2, autorestart: 'always' });
    expect(config.server).toEqual({
      host: '127.0.0.1',
      port: 7878,
      tokenfile: join(ROOT, 'taskmaster.token'),
    });
    expect(config.email).toBeNull();
  });

  it('runs a worker script that exists, from the folder it names', () => {
    const worker = loadConfig(FILE).programs.find((p) => p.name === 'worker')!;
    expect(worker.argv).toEqual(['sh', 'examples/worker.sh']);
    expect(existsSync(join(worker.workingdir!, worker.argv[1]!))).toBe(true);
  });

  it.each([
    ['programs', PROGRAM_KEYS],
    ['daemon', DAEMON_KEYS],
    ['server', SERVER_KEYS],
    ['email', [...EMAIL_KEYS, ...SMTP_KEYS]],
  ] as const)('documents every key of %s', (section, keys) => {
    const block = sections().get(section);
    expect(keys.filter((key) => !documents(block, key))).toEqual([]);
  });

  it('documents an email section that is valid once uncommented, with the defaults', () => {
    const email = sections().get('email')!.replace(/^# ?/gm, '');
    const config = parseConfigText(`programs:\n  x: { cmd: x }\nemail:\n${email}`, FILE);
    expect(config.email).toEqual({ ...EMAIL_DEFAULTS, to: ['ops@example.com'] });
  });
});
