import { describe, expect, it } from 'vitest';
import { PARAMS } from '../../../src/rpc/protocol.js';

/** What the daemon makes of the params of hello and log (issue 8: the client's name, log -f). */

describe('PARAMS.log', () => {
  it('takes the newest 1000 by default, and the newest 10 with follow', () => {
    expect(PARAMS.log({})).toEqual({ names: [], limit: 1000, sinceMs: null, follow: false });
    expect(PARAMS.log({ follow: true })).toMatchObject({ limit: 10, follow: true });
    expect(PARAMS.log({ follow: true, limit: 50 })).toMatchObject({ limit: 50 });
  });

  it('takes limit 0 (no history) only with follow', () => {
    expect(PARAMS.log({ follow: true, limit: 0 })).toMatchObject({ limit: 0 });
    expect(() => PARAMS.log({ limit: 0 })).toThrow(
      'log: params.limit must be a whole number from 1 to 5000 (0, for no history, only with follow)',
    );
    expect(() => PARAMS.log({ follow: true, limit: -1 })).toThrow(
      'log: params.limit must be a whole number from 0 to 5000',
    );
    expect(() => PARAMS.log({ follow: true, limit: 5001 })).toThrow(/from 0 to 5000/);
  });
});

describe('PARAMS.hello', () => {
  it('takes an optional client name', () => {
    expect(PARAMS.hello({ version: 1, token: 't' })).toEqual({ version: 1, token: 't' });
    expect(PARAMS.hello({ version: 1, token: 't', client: 'tm 0.1.0' })).toEqual({
      version: 1,
      token: 't',
      client: 'tm 0.1.0',
    });
  });

  it('refuses a client name that would not fit on a line of tm log', () => {
    const message =
      'hello: params.client must be a name like "tm 0.1.0": 1 to 100 characters, no control characters';
    for (const client of ['', 'tm\n0.1.0', 'x'.repeat(101), 42]) {
      expect(() => PARAMS.hello({ version: 1, token: 't', client })).toThrow(message);
    }
    expect(PARAMS.hello({ version: 1, token: 't', client: 'é'.repeat(100) })).toHaveProperty(
      'client',
    );
  });
});
