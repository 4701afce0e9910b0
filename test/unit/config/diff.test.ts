import { describe, expect, it } from 'vitest';
import { diff, RESTART_KEYS, SUPERVISION_KEYS } from '../../../src/config/diff.js';
import type { ProgramSpec } from '../../../src/domain/types.js';
import { makeSpec } from '../../helpers/spec.js';

/** What a reload changes (docs/config.md), after Supervisor's `test_diff_to_active_*`. */

const WEB = makeSpec({ name: 'web', numprocs: 2 });
const DB = makeSpec({ name: 'db' });

/** A value different from WEB's for every key a reload can change. */
const CHANGED: {
  [K in (typeof RESTART_KEYS)[number] | (typeof SUPERVISION_KEYS)[number]]: Partial<ProgramSpec>;
} = {
  argv: { argv: ['sleep', '61'], cmd: 'sleep 61' },
  env: { env: { STARTED_BY: 'taskmaster' } },
  workingdir: { workingdir: '/srv' },
  umask: { umask: 0o22 },
  user: { user: 'nobody' },
  stdout: { stdout: '/tmp/web.stdout' },
  stderr: { stderr: '/tmp/web.stderr' },
  autostart: { autostart: false },
  autorestart: { autorestart: 'always' },
  exitcodes: { exitcodes: [0, 2] },
  startTimeMs: { startTimeMs: 5000 },
  startRetries: { startRetries: 7 },
  stopSignal: { stopSignal: 'SIGUSR1' },
  stopTimeMs: { stopTimeMs: 30_000 },
  restartDelayMaxMs: { restartDelayMaxMs: 5_000 },
  priority: { priority: 1 },
  stdoutLimit: { stdoutLimit: { maxBytes: 1024, backups: 1 } },
  stderrLimit: { stderrLimit: { maxBytes: 0, backups: 10 } },
};

describe('diff', () => {
  it("the restart keys are docs/config.md's: cmd (as argv), env, workingdir, umask, user, stdout, stderr", () => {
    expect([...RESTART_KEYS].sort()).toEqual(
      ['argv', 'env', 'workingdir', 'umask', 'user', 'stdout', 'stderr'].sort(),
    );
  });

  it("the supervision keys are docs/config.md's", () => {
    expect([...SUPERVISION_KEYS].sort()).toEqual(
      [
        'autorestart',
        'autostart',
        'exitcodes',
        'priority',
        // the throttle's cap is supervision too, applied in place (docs/config.md)
        'restartDelayMaxMs',
        'startRetries',
        'startTimeMs',
        'stopSignal',
        'stopTimeMs',
        // how an output file is rotated is the daemon's: the child keeps its descriptor
        'stdoutLimit',
        'stderrLimit',
      ].sort(),
    );
  });

  it('every key of ProgramSpec is compared, or is the name or the text of cmd', () => {
    const compared = new Set<string>([
      ...RESTART_KEYS,
      ...SUPERVISION_KEYS,
      'numprocs',
      'name',
      'cmd',
    ]);
    expect(Object.keys(WEB).filter((k) => !compared.has(k))).toEqual([]);
  });

  it('a program removed', () => {
    expect(diff([WEB, DB], [DB])).toEqual([
      { kind: 'removed', spec: WEB },
      { kind: 'unchanged', spec: DB },
    ]);
  });

  it('a program added', () => {
    expect(diff([DB], [WEB, DB])).toEqual([
      { kind: 'added', spec: WEB },
      { kind: 'unchanged', spec: DB },
    ]);
  });

  it('from nothing (the boot): every program added, in file order', () => {
    expect(diff([], [WEB, DB])).toEqual([
      { kind: 'added', spec: WEB },
      { kind: 'added', spec: DB },
    ]);
  });

  it('to nothing: every program removed', () => {
    expect(diff([WEB, DB], [])).toEqual([
      { kind: 'removed', spec: WEB },
      { kind: 'removed', spec: DB },
    ]);
  });

  it('nothing changed: unchanged, even as new objects', () => {
    const copy = makeSpec({ ...WEB, argv: [...WEB.argv], exitcodes: [...WEB.exitcodes], env: {} });
    expect(diff([WEB], [copy])).toEqual([{ kind: 'unchanged', spec: copy }]);
  });

  it.each(RESTART_KEYS)('%s changed: its instances are restarted', (key) => {
    const next = makeSpec({ ...WEB, ...CHANGED[key] });
    expect(diff([WEB], [next])).toEqual([
      {
        kind: 'changed',
        spec: next,
        keys: [key],
        restart: true,
        restartIndexes: [0, 1],
        addedIndexes: [],
        removedIndexes: [],
      },
    ]);
  });

  it.each(SUPERVISION_KEYS)('%s changed: applied in place, no restart', (key) => {
    const next = makeSpec({ ...WEB, ...CHANGED[key] });
    expect(diff([WEB], [next])).toEqual([
      {
        kind: 'changed',
        spec: next,
        keys: [key],
        restart: false,
        restartIndexes: [],
        addedIndexes: [],
        removedIndexes: [],
      },
    ]);
  });

  it('a restart key among supervision keys: restarted, every key listed', () => {
    const next = makeSpec({ ...WEB, ...CHANGED.stopTimeMs, ...CHANGED.env, ...CHANGED.priority });
    const [change] = diff([WEB], [next]);
    expect(change).toMatchObject({ kind: 'changed', restart: true });
    expect(change?.kind === 'changed' && [...change.keys].sort()).toEqual(
      ['env', 'priority', 'stopTimeMs'].sort(),
    );
  });

  it('cmd is compared as its argv: another spelling of the same words is no change', () => {
    const next = makeSpec({ ...WEB, cmd: `  ${WEB.argv.join('   ')}  ` });
    expect(diff([WEB], [next])).toEqual([{ kind: 'unchanged', spec: next }]);
  });

  it('env: the order of its keys is no change', () => {
    const old = makeSpec({ ...WEB, env: { A: '1', B: '2', C: '3' } });
    const next = makeSpec({ ...WEB, env: { C: '3', A: '1', B: '2' } });
    expect(diff([old], [next])).toEqual([{ kind: 'unchanged', spec: next }]);
  });

  it('env: a value changed, a key added or a key taken away is a change', () => {
    const old = makeSpec({ ...WEB, env: { A: '1', B: '2' } });
    for (const env of [{ A: '1', B: '3' }, { A: '1', B: '2', C: '3' }, { A: '1' }]) {
      const next = makeSpec({ ...WEB, env });
      expect(diff([old], [next])).toEqual([
        {
          kind: 'changed',
          spec: next,
          keys: ['env'],
          restart: true,
          restartIndexes: [0, 1],
          addedIndexes: [],
          removedIndexes: [],
        },
      ]);
    }
  });

  it('numprocs raised: only the new indexes are added, nothing restarted', () => {
    const next = makeSpec({ ...WEB, numprocs: 4 });
    expect(diff([WEB], [next])).toEqual([
      {
        kind: 'changed',
        spec: next,
        keys: ['numprocs'],
        restart: false,
        restartIndexes: [],
        addedIndexes: [2, 3],
        removedIndexes: [],
      },
    ]);
  });

  it('numprocs lowered: the highest indexes are taken away, highest first', () => {
    const old = makeSpec({ ...WEB, numprocs: 4 });
    const next = makeSpec({ ...WEB, numprocs: 1 });
    expect(diff([old], [next])).toEqual([
      {
        kind: 'changed',
        spec: next,
        keys: ['numprocs'],
        restart: false,
        restartIndexes: [],
        addedIndexes: [],
        removedIndexes: [3, 2, 1],
      },
    ]);
  });

  it('numprocs raised with a restart key: the kept instances restart, the added ones start', () => {
    const next = makeSpec({ ...WEB, ...CHANGED.workingdir, numprocs: 3 });
    expect(diff([WEB], [next])).toEqual([
      {
        kind: 'changed',
        spec: next,
        keys: ['workingdir', 'numprocs'],
        restart: true,
        restartIndexes: [0, 1],
        addedIndexes: [2],
        removedIndexes: [],
      },
    ]);
  });

  it('a mixed reload: removed programs first, then the new config in its order', () => {
    const api = makeSpec({ name: 'api' });
    const web = makeSpec({ ...WEB, ...CHANGED.user });
    const plan = diff([WEB, DB, api], [makeSpec({ name: 'cron' }), web, api]);
    expect(plan.map((c) => `${c.kind} ${c.spec.name}`)).toEqual([
      'removed db',
      'added cron',
      'changed web',
      'unchanged api',
    ]);
  });

  it('does not touch its inputs', () => {
    const old = [makeSpec({ ...WEB, env: { B: '2', A: '1' } })];
    const next = [makeSpec({ ...WEB, env: { A: '1', B: '3' }, numprocs: 1 })];
    const before = JSON.stringify([old, next]);
    diff(old, next);
    expect(JSON.stringify([old, next])).toBe(before);
  });
});
