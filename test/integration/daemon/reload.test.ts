import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { ConfigError } from '../../../src/domain/errors.js';
import { TestDaemon, fixture, isAlive } from '../../helpers/test-daemon.js';

/** What a reload restarts and what it leaves alone (docs/config.md), with real processes. */

const cmd = `"${fixture('exit-on-usr1.sh')} 0"`;

function program(name: string, extra = ''): string {
  return `  ${name}:\n    cmd: ${cmd}\n    starttime: 0.1\n    stoptime: 1\n${extra}`;
}

async function boot(programs: string[]): Promise<TestDaemon> {
  const td = TestDaemon.start(`programs:\n${programs.join('')}`);
  onTestFinished(() => td.stop());
  for (const s of td.daemon.status()) await td.waitState(s.name, 'running');
  return td;
}

function pidOf(td: TestDaemon, name: string): number | null {
  return td.daemon.status([name])[0]!.pid;
}

describe('reload', () => {
  it('nothing changed: same pids, no event but the reload itself', async () => {
    const td = await boot([program('web')]);
    const pid = pidOf(td, 'web:0');
    const mark = td.mark();
    const result = td.daemon.reload();
    expect(result.summary).toBe('no change');
    expect(pidOf(td, 'web:0')).toBe(pid);
    expect(td.daemon.events({ afterSeq: mark })).toEqual([]);
    expect(readFileSync(join(td.dir, 'taskmaster.log'), 'utf8')).toMatch(
      /reload \(revision 2\): no change/,
    );
  });

  it('a program added is created and started if autostart', async () => {
    const td = await boot([program('web')]);
    td.writeConfig(
      `programs:\n${program('web')}${program('api')}${program('idle', '    autostart: false\n')}`,
    );
    const mark = td.mark();
    expect(td.daemon.reload().summary).toBe('added api; added idle');
    await td.waitState('api:0', 'running', mark);
    expect(td.history('api:0')).toEqual([
      'stopped -> starting (reload)',
      'starting -> running (timeout)',
    ]);
    expect(td.daemon.status(['idle:0'])[0]!.state).toBe('stopped');
    expect(td.history('idle:0')).toEqual([]);
  });

  it('a program removed is stopped, then forgotten', async () => {
    const td = await boot([program('web'), program('api')]);
    const pid = pidOf(td, 'api:0')!;
    td.writeConfig(`programs:\n${program('web')}`);
    const mark = td.mark();
    expect(td.daemon.reload().summary).toBe('removed api');
    expect(td.daemon.status().map((s) => s.name)).toEqual(['web:0']);
    expect(() => td.daemon.resolve(['api'])).toThrow('no such program: api');
    const stopped = await td.waitState('api:0', 'stopped', mark);
    expect(stopped.cause).toBe('reload');
    expect(isAlive(pid)).toBe(false);
  });

  it.each([
    ['cmd', `    cmd: "${fixture('exit-on-usr1.sh')} 3"\n`],
    ['env', '    env: { A: 1 }\n'],
    ['workingdir', '    workingdir: /tmp\n'],
    ['umask', '    umask: 077\n'],
    ['stdout', '    stdout: out.log\n'],
    ['stderr', '    stderr: err.log\n'],
  ])('%s changed: its instances are restarted (new pid)', async (key, line) => {
    const td = await boot([program('web', '    numprocs: 2\n')]);
    const before = [pidOf(td, 'web:0'), pidOf(td, 'web:1')];
    const base = program('web', '    numprocs: 2\n');
    const changed = key === 'cmd' ? base.replace(/ {4}cmd: .*\n/, line) : `${base}${line}`;
    td.writeConfig(`programs:\n${changed}`);
    const mark = td.mark();
    const expectedKey = key;
    expect(td.daemon.reload().summary).toBe(`restarted web (${expectedKey})`);
    for (const name of ['web:0', 'web:1']) {
      await td.waitState(name, 'running', mark);
      expect(td.history(name).slice(2)).toEqual([
        'running -> stopping (reload)',
        'stopping -> stopped (reload)',
        'stopped -> starting (reload)',
        'starting -> running (timeout)',
      ]);
    }
    const after = [pidOf(td, 'web:0'), pidOf(td, 'web:1')];
    expect(after.every((p, i) => p !== before[i])).toBe(true);
  });

  it('only supervision keys changed: applied in place, same pid, no event', async () => {
    const td = await boot([program('web')]);
    const pid = pidOf(td, 'web:0');
    td.writeConfig(`programs:
  web:
    cmd: ${cmd}
    starttime: 0.2
    stoptime: 0.5
    autorestart: never
    exitcodes: [0, 3]
    startretries: 7
    stopsignal: USR1
    priority: 5
    autostart: false
`);
    const mark = td.mark();
    expect(td.daemon.reload().summary).toBe(
      'updated in place web (autostart, autorestart, exitcodes, starttime, startretries, stopsignal, stoptime, priority)',
    );
    expect(pidOf(td, 'web:0')).toBe(pid);
    expect(td.daemon.events({ afterSeq: mark })).toEqual([]);
    // the new stopsignal is the one used: the fixture exits 0 on USR1, so no SIGTERM shows
    td.daemon.command('stop', ['web:0']);
    const stopped = await td.waitState('web:0', 'stopped', mark);
    expect(stopped).toMatchObject({ exitCode: 0, signal: null });
  });

  it('numprocs raised: only the added instances are started', async () => {
    const td = await boot([program('web', '    numprocs: 2\n')]);
    const before = [pidOf(td, 'web:0'), pidOf(td, 'web:1')];
    td.writeConfig(`programs:\n${program('web', '    numprocs: 3\n')}`);
    const mark = td.mark();
    expect(td.daemon.reload().summary).toBe('updated in place web (numprocs)');
    await td.waitState('web:2', 'running', mark);
    expect([pidOf(td, 'web:0'), pidOf(td, 'web:1')]).toEqual(before);
    expect(td.daemon.events({ afterSeq: mark }).map((e) => e.name)).toEqual(['web:2', 'web:2']);
  });

  it('numprocs lowered: only the highest-numbered instances are stopped, highest first', async () => {
    const td = await boot([program('web', '    numprocs: 3\n')]);
    const kept = pidOf(td, 'web:0');
    td.writeConfig(`programs:\n${program('web', '    numprocs: 1\n')}`);
    const mark = td.mark();
    td.daemon.reload();
    await td.waitState('web:2', 'stopped', mark);
    await td.waitState('web:1', 'stopped', mark);
    const stops = td.daemon
      .events({ afterSeq: mark })
      .filter((e) => e.to === 'stopping')
      .map((e) => e.name);
    expect(stops).toEqual(['web:2', 'web:1']);
    expect(pidOf(td, 'web:0')).toBe(kept);
    expect(td.daemon.status().map((s) => s.name)).toEqual(['web:0']);
  });

  it('a fatal instance is tried again when its cmd is fixed', async () => {
    const td = TestDaemon.start(`programs:
  web:
    cmd: /nope/not-here
    startretries: 0
`);
    onTestFinished(() => td.stop());
    await td.waitState('web:0', 'fatal');
    td.writeConfig(`programs:\n${program('web')}`);
    const mark = td.mark();
    td.daemon.reload();
    await td.waitState('web:0', 'running', mark);
  });

  it("a restart-key change does not undo a user's stop still under way", async () => {
    const slow = (extra: string) =>
      `programs:\n  slow:\n    cmd: ${fixture('ignore-term.sh')}\n    starttime: 0.1\n    stoptime: 0.5\n${extra}`;
    const td = TestDaemon.start(slow(''));
    onTestFinished(() => td.stop());
    await td.waitState('slow:0', 'running');
    const mark = td.mark();
    td.daemon.command('stop', ['slow:0']);
    await td.waitState('slow:0', 'stopping', mark);
    td.writeConfig(slow('    env: { NEW: 1 }\n'));
    expect(td.daemon.reload().summary).toBe('restarted slow (env)');
    await td.waitState('slow:0', 'stopped', mark);
    // the status reply is ordered after any start the reload could have queued
    expect(td.daemon.status()[0]!.state).toBe('stopped');
    expect(td.history('slow:0').slice(2)).toEqual([
      'running -> stopping (user)',
      'stopping -> stopped (user)',
    ]);
  });

  it('an invalid config is refused whole: nothing changes, the error is logged', async () => {
    const td = await boot([program('web')]);
    const pid = pidOf(td, 'web:0');
    td.writeConfig(`programs:\n${program('web')}${program('api', '    umask: abc\n')}`);
    const mark = td.mark();
    let error: unknown;
    try {
      td.daemon.reload();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toMatch(
      /config\.yaml:\d+:\d+: programs\.api\.umask: expected an octal number like 022, found "abc"/,
    );
    expect(td.daemon.status().map((s) => [s.name, s.pid])).toEqual([['web:0', pid]]);
    expect(td.daemon.events({ afterSeq: mark })).toEqual([]);
    expect(readFileSync(join(td.dir, 'taskmaster.log'), 'utf8')).toContain(
      'reload refused, nothing changed',
    );
  });
});
