import { describe, expect, it } from 'vitest';
import { MailQueue, type QueuedMail } from '../../../src/alerts/mail-queue.js';

/** Issue 9: mails go in order, one at a time, retried with backoff, bounded, flushed at the end. */

type Mail = QueuedMail & { id: string };
const mail = (id: string, alerts = 1): Mail => ({ id, subject: id, text: '', alerts });

/** A queue whose server is a script: `replies` says, attempt by attempt, what it answers. */
function queue(
  replies: (mail: Mail, dropped: number) => Promise<string>,
  maxQueued = 10,
  /** Runs first in each callback: a throw there stands for a bug in the caller's. */
  before: Partial<Record<'sent' | 'failed', (m: Mail) => void>> = {},
) {
  const log: string[] = [];
  let resolveDone: () => void = () => {};
  const q = new MailQueue<Mail>({
    send: replies,
    maxQueued,
    retryFirstMs: 5,
    retryMaxMs: 20,
    sent: (m, response, attempts) => {
      log.push(`sent ${m.id} ${response} after ${attempts}`);
      resolveDone();
      before.sent?.(m);
    },
    failed: (m, error, attempt, retryInMs) => {
      log.push(`failed ${m.id} #${attempt} ${(error as Error).message} retry ${retryInMs}`);
      before.failed?.(m);
    },
    dropped: (m) => log.push(`dropped ${m.id}`),
    internalError: (error, callback) => log.push(`bug in ${callback}: ${(error as Error).message}`),
  });
  const sentOnce = (n: number) =>
    new Promise<void>((resolve) => {
      resolveDone = () => {
        if (log.filter((l) => l.startsWith('sent')).length >= n) resolve();
      };
    });
  return { q, log, sentOnce };
}

describe('MailQueue', () => {
  it('sends in order, one at a time', async () => {
    let inFlight = 0;
    const { q, log, sentOnce } = queue(async (m) => {
      inFlight += 1;
      expect(inFlight).toBe(1);
      await new Promise((r) => setImmediate(r));
      inFlight -= 1;
      return `250 ${m.id}`;
    });
    const done = sentOnce(3);
    q.push(mail('a'));
    q.push(mail('b'));
    q.push(mail('c'));
    await done;
    expect(log).toEqual(['sent a 250 a after 1', 'sent b 250 b after 1', 'sent c 250 c after 1']);
    expect(q.length).toBe(0);
  });

  it('retries the same mail first, waiting longer each time up to the cap, then goes on', async () => {
    let failures = 4;
    const { q, log, sentOnce } = queue((m) =>
      m.id === 'a' && failures-- > 0
        ? Promise.reject(new Error('451 busy'))
        : Promise.resolve('250 ok'),
    );
    const done = sentOnce(2);
    q.push(mail('a'));
    q.push(mail('b'));
    await done;
    expect(log).toEqual([
      'failed a #1 451 busy retry 5',
      'failed a #2 451 busy retry 10',
      'failed a #3 451 busy retry 20',
      'failed a #4 451 busy retry 20',
      'sent a 250 ok after 5',
      'sent b 250 ok after 1',
    ]);
  });

  it('drops the oldest waiting mail past the bound, and the next mail sent is told how many alerts', async () => {
    let isDown = true;
    const told: number[] = [];
    const { q, log, sentOnce } = queue((m, dropped) => {
      if (isDown) return Promise.reject(new Error('ECONNREFUSED'));
      told.push(dropped);
      return Promise.resolve(`250 ${m.id}`);
    }, 2);
    q.push(mail('a', 3));
    q.push(mail('b', 4));
    q.push(mail('c', 5));
    q.push(mail('d', 6));
    expect(log.filter((l) => l.startsWith('dropped'))).toEqual(['dropped b']);
    isDown = false;
    const done = sentOnce(3);
    await done;
    // a was being sent when b came, so b was the oldest waiting
    expect(log.filter((l) => l.startsWith('sent')).map((l) => l.split(' ')[1])).toEqual([
      'a',
      'c',
      'd',
    ]);
    expect(told).toEqual([4, 0, 0]);
  });

  it('a flush tries again at once, and gives up at its deadline with what is left', async () => {
    let attempts = 0;
    const { q } = queue(() => {
      attempts += 1;
      return Promise.reject(new Error('ECONNREFUSED'));
    });
    q.push(mail('a'));
    q.push(mail('b'));
    const started = Date.now();
    await expect(q.flush(300)).resolves.toBe(2);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(attempts).toBeGreaterThan(1);
    q.close();
    expect(await q.flush(10)).toBe(2);
  });

  it('a flush of an empty queue resolves at once', async () => {
    const { q } = queue(() => Promise.resolve('250'));
    await expect(q.flush(60_000)).resolves.toBe(0);
  });

  // review of issue 9: the callbacks ran inside the send's try
  it('a sent callback that throws: the mail stays sent, never sent again, and the queue goes on', async () => {
    const sends: string[] = [];
    const { q, log, sentOnce } = queue(
      (m) => {
        sends.push(m.id);
        return Promise.resolve(`250 ${m.id}`);
      },
      10,
      {
        sent: (m) => {
          if (m.id === 'a') throw new Error('cursor write failed');
        },
      },
    );
    const done = sentOnce(2);
    q.push(mail('a'));
    q.push(mail('b'));
    await done;
    expect(sends).toEqual(['a', 'b']);
    expect(log).toEqual([
      'sent a 250 a after 1',
      'bug in sent: cursor write failed',
      'sent b 250 b after 1',
    ]);
  });

  it('a failed callback that throws: no rejection escapes, and the mail is tried again and sent', async () => {
    let failures = 1;
    const { q, log, sentOnce } = queue(
      () => (failures-- > 0 ? Promise.reject(new Error('451 busy')) : Promise.resolve('250 ok')),
      10,
      {
        failed: () => {
          throw new Error('log full');
        },
      },
    );
    const done = sentOnce(1);
    q.push(mail('a'));
    await done;
    expect(log).toEqual([
      'failed a #1 451 busy retry 5',
      'bug in failed: log full',
      'sent a 250 ok after 2',
    ]);
    // the pump is not stuck: a later mail goes too
    const again = sentOnce(2);
    q.push(mail('b'));
    await again;
    expect(q.length).toBe(0);
  });

  it('a push that drops the mail waiting for its retry: the next mail starts at attempt 1, first backoff', async () => {
    const tries = new Map<string, number>();
    const { q, log, sentOnce } = queue((m) => {
      const n = (tries.get(m.id) ?? 0) + 1;
      tries.set(m.id, n);
      // a never gets through; b on its second try
      return m.id === 'a' || n === 1
        ? Promise.reject(new Error('451 busy'))
        : Promise.resolve('250 ok');
    }, 1);
    const done = sentOnce(1);
    q.push(mail('a'));
    // a failed once and sleeps before its retry, back at the head of the waiting ones
    await expect.poll(() => log.length).toBe(1);
    q.push(mail('b'));
    await done;
    expect(log).toEqual([
      'failed a #1 451 busy retry 5',
      'dropped a',
      'failed b #1 451 busy retry 5',
      'sent b 250 ok after 2',
    ]);
  });
});
