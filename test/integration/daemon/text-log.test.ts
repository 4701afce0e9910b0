import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { openTextLog } from '../../../src/daemon/text-log.js';

describe('the daemon log as text', () => {
  it('writes one line an event, with its time and level', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'tm-log-')), 'taskmaster.log');
    const log = openTextLog(file, null);
    log.info('web:0: running pid 42');
    log.warn('web:0: exited exit code 3 pid 42');
    log.close();
    const lines = readFileSync(file, 'utf8').split('\n');
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO web:0: running pid 42$/);
    expect(lines[1]).toMatch(/ WARN web:0: exited exit code 3 pid 42$/);
  });

  // a full disk must not throw into the daemon (it would die and leave its children unsupervised)
  it.runIf(existsSync('/dev/full'))('on a full disk, goes on and still echoes', () => {
    const echo = new PassThrough();
    const log = openTextLog('/dev/full', echo);
    expect(() => log.info('web:0: starting (user)')).not.toThrow();
    expect(() => log.error('web:0: still failing')).not.toThrow();
    log.close();
    expect(String(echo.read())).toMatch(
      /INFO web:0: starting \(user\)\n.* ERROR web:0: still failing\n$/,
    );
  });
});
