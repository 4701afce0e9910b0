import { beforeAll, describe, expect, it } from 'vitest';
import { AlertDigest } from '../../../src/alerts/alert-digest.js';
import { bodyOf, droppedNotice, subjectOf, type MailFacts } from '../../../src/alerts/render.js';
import type { AlertEvent } from '../../../src/config/types.js';
import type { StoredEvent } from '../../../src/domain/types.js';
import { makeStoredEvent } from '../../helpers/events.js';

/** Issue 9: the subject and the plain-text body of a digest, verbatim. */

beforeAll(() => {
  // times in the body are local: pinned, so the expected text is the same everywhere
  process.env.TZ = 'UTC';
});

const T0 = Date.UTC(2026, 10, 24, 21, 25, 10);
let seq = 0;

function alert(kind: AlertEvent, name: string, atMs: number, o: Partial<StoredEvent> = {}) {
  return { kind, event: makeStoredEvent({ seq: ++seq, name, atMs, ...o }) };
}

function digestOf(...alerts: ReturnType<typeof alert>[]): AlertDigest {
  const d = new AlertDigest();
  for (const a of alerts) d.add(a);
  return d;
}

const exit1 = {
  from: 'running',
  to: 'exited',
  cause: 'exit',
  pid: 7,
  exitCode: 1,
  expected: false,
} as const;

describe('subjectOf', () => {
  it('names the worst kind and its instances, and counts the rest', () => {
    const d = digestOf(
      alert('unexpected', 'api:0', T0, exit1),
      alert('fatal', 'api:0', T0 + 1000, { to: 'fatal', exitCode: 1 }),
      alert('unexpected', 'api:1', T0, exit1),
      alert('fatal', 'api:1', T0 + 1000, { to: 'fatal' }),
      alert('unexpected', 'web:0', T0, exit1),
    );
    expect(subjectOf(d, 'web1')).toBe('[taskmaster@web1] FATAL api:0, api:1 (+3 unexpected exits)');
  });

  it('counts a loop of one instance', () => {
    const exits = Array.from({ length: 500 }, (_, i) =>
      alert('unexpected', 'crash:0', T0 + i, exit1),
    );
    expect(subjectOf(digestOf(...exits), 'h')).toBe(
      '[taskmaster@h] UNEXPECTED EXIT crash:0 (+499 unexpected exits)',
    );
    const loop = digestOf(
      ...exits.slice(0, 3),
      alert('crash-loop', 'crash:0', T0, { to: 'backoff', cause: 'crash-loop', waitMs: 100 }),
      alert('crash-loop', 'crash:0', T0, { to: 'backoff', cause: 'crash-loop', waitMs: 200 }),
    );
    expect(subjectOf(loop, 'h')).toBe(
      '[taskmaster@h] CRASH LOOP crash:0 (+1 crash-loop wait, 3 unexpected exits)',
    );
  });

  it('names three instances at most', () => {
    const names = ['w:0', 'w:1', 'w:2', 'w:10', 'w:3'];
    const d = digestOf(...names.map((n) => alert('spawn-error', n, T0, { cause: 'spawn-error' })));
    expect(subjectOf(d, 'h')).toBe('[taskmaster@h] SPAWN ERROR w:0, w:1, w:2 and 2 more');
  });

  it('a recovery alone, or one cancelled by a failure after it', () => {
    expect(subjectOf(digestOf(alert('recovered', 'api:0', T0)), 'h')).toBe(
      '[taskmaster@h] RECOVERED api:0',
    );
    const again = digestOf(
      alert('recovered', 'api:0', T0),
      alert('unexpected', 'api:0', T0 + 5, exit1),
    );
    expect(subjectOf(again, 'h')).toBe('[taskmaster@h] UNEXPECTED EXIT api:0');
  });
});

describe('bodyOf', () => {
  const facts = (over: Partial<MailFacts> = {}): MailFacts => ({
    host: 'web1',
    signature: 'taskmasterd 4242 on web1, config /etc/tm.yaml',
    now: (name) =>
      name === 'gone:0'
        ? null
        : name === 'db:0'
          ? { state: 'running', pid: 99, since: T0 + 4000 }
          : { state: 'fatal', pid: null, since: T0 + 2000 },
    outputs: new Map([
      [
        'api:0',
        {
          file: '/var/log/api.err',
          lines: ['Traceback (most recent call last):', 'ValueError: no DSN'],
        },
      ],
      ['db:0', null],
    ]),
    ...over,
  });

  it('says per instance what happened, what it is now, and quotes its output', () => {
    const d = digestOf(
      alert('unexpected', 'api:0', T0, { ...exit1, retries: 0 }),
      alert('unexpected', 'api:0', T0 + 1000, {
        ...exit1,
        signal: 'SIGSEGV',
        exitCode: null,
        retries: 1,
      }),
      alert('fatal', 'api:0', T0 + 2000, {
        to: 'fatal',
        from: 'starting',
        exitCode: 1,
        expected: false,
        retries: 2,
      }),
      alert('spawn-error', 'gone:0', T0 + 500, {
        to: 'backoff',
        cause: 'spawn-error',
        message: 'no such file: /nope',
        retries: 1,
      }),
      alert('unexpected', 'db:0', T0 + 3000, exit1),
      alert('recovered', 'db:0', T0 + 4000),
    );
    expect(bodyOf(d, facts())).toBe(
      [
        '6 alerts on web1 from 2026-11-24 21:25:10 to 21:25:14 (UTC+00:00), 3 instances:',
        '',
        'api:0: now fatal since 2026-11-24 21:25:12',
        '  1 fatal, 2 unexpected exits (21:25:10 to 21:25:12)',
        '  exits: exit code 1 (2 times), SIGSEGV',
        '  retries: 2',
        '  last 2 lines of /var/log/api.err:',
        '  | Traceback (most recent call last):',
        '  | ValueError: no DSN',
        '',
        'gone:0: no longer in the config',
        '  1 spawn error (at 21:25:10)',
        '  spawn error: no such file: /nope',
        '  retries: 1',
        '',
        'db:0: now running (pid 99) since 2026-11-24 21:25:14',
        '  1 unexpected exit (21:25:13 to 21:25:14)',
        '  exits: exit code 1',
        '  recovered: up since 21:25:14',
        '',
        '-- ',
        'taskmasterd 4242 on web1, config /etc/tm.yaml',
        'tm status api:0 · tm log api:0 · tm tail api:0 --stderr',
        '',
      ].join('\n'),
    );
  });

  it('gives 30 instances a block and names the rest in one line', () => {
    const d = digestOf(
      ...Array.from({ length: 33 }, (_, i) => alert('unexpected', `w:${i}`, T0, exit1)),
    );
    const body = bodyOf(d, facts({ outputs: new Map() }));
    expect(body).toContain('\nw:29: now fatal');
    expect(body).not.toContain('\nw:30: ');
    expect(body).toContain('\nand 3 more instances: w:30, w:31, w:32\n');
  });

  it('an unreadable output file is said in place of its lines', () => {
    const d = digestOf(alert('unexpected', 'api:0', T0, exit1));
    const body = bodyOf(
      d,
      facts({ outputs: new Map([['api:0', { file: '/x', error: 'EACCES' }]]) }),
    );
    expect(body).toContain('\n  cannot read /x: EACCES\n');
  });

  it('the dropped notice opens the next mail', () => {
    expect(droppedNotice(12, 20)).toBe(
      '12 alerts were not mailed: the mail server could not take them while 20 mails waited (tm log has every event).\n\n',
    );
  });
});

// review of issue 9: the header counted every recovery row, the instance's lines one recovery
describe('AlertDigest.count', () => {
  it('agrees with the per-instance counts when an instance recovers more than once', () => {
    const run = { from: 'starting', to: 'running', cause: 'timeout' } as const;
    const d = digestOf(
      alert('unexpected', 'api:0', T0, exit1),
      alert('recovered', 'api:0', T0 + 1000, run),
      alert('unexpected', 'api:0', T0 + 2000, exit1),
      alert('recovered', 'api:0', T0 + 3000, run),
    );
    expect(d.countOf('unexpected')).toBe(2);
    expect(d.countOf('recovered')).toBe(1);
    expect(d.count).toBe(3);
  });
});
