import { describe, expect, it, onTestFinished } from 'vitest';
import type { Cause, State, TransitionEvent } from '../../../src/domain/types.js';
import { createAppend } from '../../../src/eventlog/append.js';
import { openEventDb, type EventDb } from '../../../src/eventlog/db.js';
import { processRegister } from '../../../src/eventlog/processes.js';
import { recover } from '../../../src/eventlog/replay.js';
import { tempDb } from '../../helpers/temp-db.js';

/** What a restarting daemon reads back: last states, user intents, live processes. */

type Row =
  `${string} ${State}>${State} ${Cause}` | `${string} ${State}>${State} ${Cause} r${number}`;

/** Writes rows given as `name from>to cause [rN]`, in order. */
function log(db: EventDb, rows: readonly Row[]): void {
  const append = createAppend(db, () => 1);
  rows.forEach((row, i) => {
    const [name, move, cause, retries] = row.split(' ') as [string, string, Cause, string?];
    const [from, to] = move.split('>') as [State, State];
    const e: TransitionEvent = {
      atMs: 1000 + i,
      name,
      from,
      to,
      cause,
      pid: null,
      exitCode: null,
      signal: null,
      retries: retries === undefined ? 0 : Number(retries.slice(1)),
      message: null,
      waitMs: null,
      expected: null,
    };
    append(e);
  });
}

describe('recover', () => {
  it('knows nothing of an empty log', () => {
    const { db } = tempDb('tm-replay-');
    expect(recover(db).size).toBe(0);
  });

  it('gives the last state and retry count of each instance, by name', () => {
    const { db } = tempDb('tm-replay-');
    log(db, [
      'web:0 stopped>starting autostart',
      'db:0 stopped>starting autostart',
      'web:0 starting>backoff exit r1',
      'db:0 starting>running timeout',
      'web:0 backoff>starting retry r1',
      'web:0 starting>backoff exit r2',
    ]);
    const recovered = recover(db);
    expect([...recovered.keys()].sort()).toEqual(['db:0', 'web:0']);
    expect(recovered.get('web:0')).toEqual({
      name: 'web:0',
      state: 'backoff',
      retries: 2,
      atMs: 1005,
      intent: null,
    });
    expect(recovered.get('db:0')).toEqual({
      name: 'db:0',
      state: 'running',
      retries: 0,
      atMs: 1003,
      intent: null,
    });
  });

  it("a user's start is the intent 'start'", () => {
    const { db } = tempDb('tm-replay-');
    log(db, ['web:0 stopped>starting user']);
    expect(recover(db).get('web:0')).toMatchObject({ state: 'starting', intent: 'start' });
  });

  it("a user's stop is the intent 'stop', whether through stopping or straight to stopped", () => {
    const { db } = tempDb('tm-replay-');
    log(db, [
      'web:0 stopped>starting autostart',
      'web:0 starting>running timeout',
      'web:0 running>stopping user',
      'web:0 stopping>stopped exit',
      'db:0 stopped>starting autostart',
      'db:0 starting>backoff exit r1',
      // no process to signal in backoff: straight to stopped
      'db:0 backoff>stopped user r1',
    ]);
    const recovered = recover(db);
    expect(recovered.get('web:0')).toMatchObject({ state: 'stopped', intent: 'stop' });
    expect(recovered.get('db:0')).toMatchObject({ state: 'stopped', intent: 'stop', retries: 1 });
  });

  it('later rows without a user do not change the intent', () => {
    const { db } = tempDb('tm-replay-');
    log(db, [
      'web:0 stopped>starting user',
      'web:0 starting>running timeout',
      'web:0 running>exited exit',
      'web:0 exited>starting autostart',
      'web:0 starting>running timeout',
      'web:0 running>stopping shutdown',
      'web:0 stopping>stopped exit',
      'db:0 stopped>starting autostart',
      'db:0 starting>running timeout',
      'db:0 running>stopping user',
      'db:0 stopping>stopped timeout',
      'db:0 stopped>starting reload',
      'db:0 starting>running timeout',
    ]);
    const recovered = recover(db);
    expect(recovered.get('web:0')).toMatchObject({ state: 'stopped', intent: 'start' });
    expect(recovered.get('db:0')).toMatchObject({ state: 'running', intent: 'stop' });
  });

  it("the user's last word counts: stop then start is 'start', start then stop is 'stop'", () => {
    const { db } = tempDb('tm-replay-');
    log(db, [
      'web:0 stopped>starting autostart',
      'web:0 starting>stopping user',
      'web:0 stopping>stopped exit',
      'web:0 stopped>starting user',
      'db:0 stopped>starting user',
      'db:0 starting>running timeout',
      'db:0 running>stopping user',
      'db:0 stopping>stopped exit',
    ]);
    const recovered = recover(db);
    expect(recovered.get('web:0')?.intent).toBe('start');
    expect(recovered.get('db:0')?.intent).toBe('stop');
  });

  it('keeps the intents of instances apart', () => {
    const { db } = tempDb('tm-replay-');
    log(db, [
      'web:0 stopped>starting user',
      'web:1 stopped>starting autostart',
      'web:1 starting>stopping user',
      'web:2 stopped>starting autostart',
    ]);
    const intents = Object.fromEntries([...recover(db)].map(([n, r]) => [n, r.intent]));
    expect(intents).toEqual({ 'web:0': 'start', 'web:1': 'stop', 'web:2': null });
  });

  it('reads the same after a reopen', () => {
    const { db, file } = tempDb('tm-replay-');
    log(db, ['web:0 stopped>starting user', 'web:0 starting>backoff exit r1']);
    db.close();
    const again = openEventDb(file);
    onTestFinished(() => {
      again.close();
    });
    expect(recover(again).get('web:0')).toEqual({
      name: 'web:0',
      state: 'backoff',
      retries: 1,
      atMs: 1001,
      intent: 'start',
    });
  });
});

describe('processRegister', () => {
  it('lists what was spawned and not seen to exit, newest first', () => {
    const { db } = tempDb('tm-replay-');
    const register = processRegister(db);
    register.spawned({ pid: 100, procStart: 5000, name: 'web:0', bootId: 'b1' });
    register.spawned({ pid: 101, procStart: 5001, name: 'web:1', bootId: 'b1' });
    register.spawned({ pid: 102, procStart: 5002, name: 'db:0', bootId: 'b1' });
    register.exited(101, 5001);
    expect(register.unexited()).toEqual([
      { pid: 102, procStart: 5002, name: 'db:0', bootId: 'b1' },
      { pid: 100, procStart: 5000, name: 'web:0', bootId: 'b1' },
    ]);
  });

  it('is empty at first and once everything has exited', () => {
    const { db } = tempDb('tm-replay-');
    const register = processRegister(db);
    expect(register.unexited()).toEqual([]);
    register.spawned({ pid: 100, procStart: 5000, name: 'web:0', bootId: 'b1' });
    register.exited(100, 5000);
    register.exited(100, 5000); // a second report changes nothing
    expect(register.unexited()).toEqual([]);
  });

  it('tells a reused pid from the process that had it: the start time must match', () => {
    const { db } = tempDb('tm-replay-');
    const register = processRegister(db);
    register.spawned({ pid: 100, procStart: 5000, name: 'web:0', bootId: 'b1' });
    register.spawned({ pid: 100, procStart: 9000, name: 'web:1', bootId: 'b1' });
    register.exited(100, 7777); // neither of them
    expect(register.unexited()).toHaveLength(2);
    register.exited(100, 5000);
    expect(register.unexited()).toEqual([
      { pid: 100, procStart: 9000, name: 'web:1', bootId: 'b1' },
    ]);
  });

  it('survives a reopen, as it must for a daemon that died', () => {
    const { db, file } = tempDb('tm-replay-');
    processRegister(db).spawned({ pid: 100, procStart: 5000, name: 'web:0', bootId: 'b1' });
    db.close();
    const again = openEventDb(file);
    onTestFinished(() => {
      again.close();
    });
    expect(processRegister(again).unexited()).toEqual([
      { pid: 100, procStart: 5000, name: 'web:0', bootId: 'b1' },
    ]);
  });
});
