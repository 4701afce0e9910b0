import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { resolveUser } from '../../../src/process/resolve-user.js';

/** Users by name or id from a passwd file (Node has no getpwnam). */

const PASSWD = [
  '# a comment line',
  'root:x:0:0:root:/root:/bin/bash',
  'alice:x:1000:1001:Alice Liddell,,,:/home/alice:/bin/sh',
  '',
  'bob:x:1002:1002::/home/bob:/usr/sbin/nologin',
  'short:x:1003:1003',
  'alice:x:2000:2000:second alice:/elsewhere:/bin/sh',
  '',
].join('\n');

function passwd(text = PASSWD): string {
  const dir = mkdtempSync(join(tmpdir(), 'tm-passwd-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'passwd');
  writeFileSync(file, text);
  return file;
}

describe('resolveUser', () => {
  it('finds a user by name: uid, primary gid and home', () => {
    const file = passwd();
    expect(resolveUser('alice', file)).toEqual({
      name: 'alice',
      uid: 1000,
      gid: 1001,
      home: '/home/alice',
    });
    expect(resolveUser('root', file)).toEqual({ name: 'root', uid: 0, gid: 0, home: '/root' });
  });

  it('finds a user by numeric id, under its name', () => {
    const file = passwd();
    expect(resolveUser('1002', file)).toEqual({
      name: 'bob',
      uid: 1002,
      gid: 1002,
      home: '/home/bob',
    });
    expect(resolveUser('0', file)?.name).toBe('root');
  });

  it('takes the first entry when a name appears twice', () => {
    expect(resolveUser('alice', passwd())?.uid).toBe(1000);
  });

  it('gives / as home to an entry without one', () => {
    expect(resolveUser('short', passwd())).toEqual({
      name: 'short',
      uid: 1003,
      gid: 1003,
      home: '/',
    });
  });

  it('is null for an unknown name, a prefix of a name, or the comment', () => {
    const file = passwd();
    expect(resolveUser('mallory', file)).toBeNull();
    expect(resolveUser('ali', file)).toBeNull();
    expect(resolveUser('# a comment line', file)).toBeNull();
    expect(resolveUser('', file)).toBeNull();
  });

  it('accepts a numeric id without an entry, its group the same number', () => {
    expect(resolveUser('4242', passwd())).toEqual({
      name: '4242',
      uid: 4242,
      gid: 4242,
      home: '/',
    });
    expect(resolveUser('-1', passwd())).toBeNull();
  });

  it('reads /etc/passwd by default', () => {
    expect(resolveUser('root')).toMatchObject({ name: 'root', uid: 0, gid: 0 });
  });
});
