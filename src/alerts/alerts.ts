import { randomUUID } from 'node:crypto';
import { Subject, type Subscription } from 'rxjs';
import type { AlertEvent, EmailSection } from '../config/types.js';
import { TaskmasterError } from '../domain/errors.js';
import type { StoredEvent } from '../domain/types.js';
import type { AlertCursor, AlertLog } from '../eventlog/alert-log.js';
import { AlertDigest, type Alert } from './alert-digest.js';
import { alertOf, isRun } from './classify.js';
import { digest } from './digest.js';
import { lastLines, type LastLines } from './last-lines.js';
import { MailQueue, type QueuedMail } from './mail-queue.js';
import { describeMailError, sendSmtp, type SendMail } from './mailer.js';
import {
  bodyOf,
  droppedNotice,
  EXCERPT_LINES,
  MAX_EXCERPTS,
  subjectOf,
  testMailText,
  type InstanceNow,
} from './render.js';

export type AlertTimings = {
  /** The wait after a mail's first failure; doubled at each further one, up to retryMaxMs. */
  retryFirstMs: number;
  retryMaxMs: number;
  /** Mails that may wait for the server; past it the oldest is dropped (the next one says so). */
  maxQueued: number;
  /** What a shutdown gives the mails still due. */
  flushMs: number;
  /** While no mail is owed, the cursor follows the log at most this often (a write each time). */
  cursorIdleMs: number;
};

export const ALERT_TIMINGS: Readonly<AlertTimings> = Object.freeze({
  retryFirstMs: 1000,
  retryMaxMs: 60_000,
  maxQueued: 20,
  flushMs: 5000,
  cursorIdleMs: 5000,
});

/** An instance as the alerts see it: its state now, and the file its mail quotes (or null). */
export type AlertInstance = InstanceNow & { output: string | null };

export type AlertsLog = {
  info: (line: string) => void;
  warn: (line: string) => void;
  error: (line: string) => void;
};

export type AlertsDeps = {
  email: EmailSection;
  store: AlertLog;
  /** Runs a write to the event log; a failure is counted and said by the caller, never thrown. */
  write: <T>(write: () => T) => T | undefined;
  /** null: no longer in the config. */
  instance: (name: string) => AlertInstance | null;
  log: AlertsLog;
  /**
   * A bug of the alerts (never a mail error): it may come at every event, so the daemon says it
   * in full once and then counts it (`kind` groups the repeats).
   */
  bug: (line: string, kind: string) => void;
  host: string;
  configFile: string;
  /** The mail's signature: `taskmasterd 4242, config /etc/taskmaster.yaml`. */
  signature: string;
  send?: SendMail;
  timings?: Partial<AlertTimings>;
};

type DigestMail = QueuedMail & { digest: AlertDigest };

export type TestMailResult = { to: string[]; response: string; rejected: string[] };

/**
 * Email alerts as a projection of the event log (ARCHITECTURE.md): transitions come in (the rows a
 * previous run stored but never mailed first, then the live ones), alerts are folded into
 * digests, and each digest goes out as one mail through a queue that never makes supervision
 * wait. The cursor in the event log is the last seq mailed: it passes a digest only once its mail
 * is sent (or dropped), so a crash re-mails at most what was not yet acknowledged.
 */
export class Alerts {
  private email: EmailSection;
  private readonly timings: AlertTimings;
  private readonly send: SendMail;
  private readonly alerts$ = new Subject<Alert>();
  private readonly flush$ = new Subject<void>();
  private readonly digesting: Subscription;
  private readonly queue: MailQueue<DigestMail>;
  private cursor: AlertCursor;
  private lastSeen: number;
  private open: AlertDigest | null = null;
  /** Digests closed but not yet sent or dropped: the cursor stays before the first of them. */
  private readonly owed = new Set<AlertDigest>();
  private building: Promise<void> = Promise.resolve();
  /** Per instance: whether it alerted since it last stayed up (for `recovered`). */
  private readonly alerted = new Map<string, boolean>();
  /** Instances a reload removed after they alerted: where their lookback stops, if they come back. */
  private readonly removedAt = new Map<string, number>();
  private lastCursorWriteMs = 0;
  private isClosed = false;

  constructor(private readonly deps: AlertsDeps) {
    this.email = deps.email;
    this.timings = { ...ALERT_TIMINGS, ...deps.timings };
    this.send = deps.send ?? sendSmtp;
    this.queue = new MailQueue<DigestMail>({
      send: (mail, dropped, onData) => this.deliver(mail, dropped, onData),
      maxQueued: this.timings.maxQueued,
      retryFirstMs: this.timings.retryFirstMs,
      retryMaxMs: this.timings.retryMaxMs,
      sent: (mail, response, attempts) => this.sent(mail, response, attempts),
      failed: (mail, error, attempt, retryInMs) => this.failed(mail, error, attempt, retryInMs),
      dropped: (mail) => this.dropped(mail),
      internalError: (error, callback) => this.bug(`after a mail was ${callback}`, error),
    });
    // Nothing in this pipeline may throw: rxjs would rethrow it on a timer, an uncaughtException
    // that shuts the daemon down. A bug loses the alerts it was holding, and says so.
    this.digesting = this.alerts$
      .pipe(
        digest({
          windowMs: () => this.email.digestMs,
          seed: () => (this.open = new AlertDigest()),
          add: (d, alert) => this.add(d, alert),
          flush$: this.flush$,
        }),
      )
      .subscribe({
        next: (d) => this.closeDigest(d),
        error: (error: unknown) => this.bug('the digests stopped', error),
      });
    // a log that alerts were never on for (or turned off since) owes nothing: start from now
    const stored = deps.write(
      () => deps.store.cursor() ?? deps.store.setCursor(deps.store.lastSeq()),
    );
    this.cursor = stored ?? { seq: 0, stream: randomUUID(), sinceSeq: 0 };
    this.lastSeen = this.cursor.seq;
    if (stored !== undefined) this.replay();
  }

  /** One transition of the daemon's event stream (after its row is stored). */
  next(e: StoredEvent): void {
    if (this.isClosed) return;
    this.take(e);
    this.advance(false);
  }

  /**
   * After a reload: instances no longer in the config are forgotten, so that a program added
   * back later starts afresh (its first run is no recovery of the old one's failures).
   */
  forgetRemoved(): void {
    for (const [name, hasAlerted] of this.alerted) {
      if (this.deps.instance(name) !== null) continue;
      this.alerted.delete(name);
      // the log still has its failures: a lookback must not reach them
      if (hasAlerted) this.removedAt.set(name, this.lastSeen);
    }
  }

  /** A reload's new section: the next alerts, digest window and mail use it. */
  configure(email: EmailSection): void {
    this.email = email;
  }

  /**
   * At shutdown (or when a reload removes the email section): the open digest closes now, and
   * what is due is sent within `flushMs`. At a shutdown, what is not sent by then is still owed
   * in the event log, and goes out at the next start; once alerts are off, it is lost.
   */
  async flush(why: 'shutdown' | 'off' = 'shutdown'): Promise<void> {
    if (this.isClosed) return;
    const deadline = Date.now() + this.timings.flushMs;
    this.flush$.next();
    await within(this.building, this.timings.flushMs);
    await this.queue.flush(Math.max(0, deadline - Date.now()));
    // No new attempt from here. A mail whose data the server has may be taken yet: its reply
    // must move the cursor, or the next start mails it again. That wait is bounded by the
    // deadline again, so a server that hangs holds a shutdown at most twice flushMs; a send
    // not that far (a server that never greets) is given up at once, its alerts still owed.
    this.queue.close();
    if (this.queue.isDelivering) {
      this.deps.log.info(
        `mail: still sending at the end of the ${this.timings.flushMs / 1000} s; waiting up to ${this.timings.flushMs / 1000} s more for the server's reply`,
      );
      if (!(await this.queue.settle(this.timings.flushMs))) {
        this.deps.log.warn(
          `mail: no reply from the server ${this.timings.flushMs / 1000} s later; the mail is sent again at the next start`,
        );
      }
    }
    this.advance(true);
    // digests still being written count too: their alerts are owed like those of a queued mail
    const left = this.owed.size;
    this.close();
    if (left > 0) {
      const mails = left === 1 ? '1 mail' : `${left} mails`;
      const inTime = `within ${this.timings.flushMs / 1000} s`;
      this.deps.log.warn(
        why === 'shutdown'
          ? `mail: ${mails} not sent ${inTime} of the shutdown; their alerts are mailed at the next start`
          : `mail: ${mails} not sent ${inTime} of the email section's removal; their alerts are lost`,
      );
    }
  }

  /** Stops at once: nothing more is sent (a reload that removes the email section flushes first). */
  close(): void {
    this.isClosed = true;
    this.digesting.unsubscribe();
    this.queue.close();
  }

  /** Sends a test mail now, past the queue; MAIL_FAILED with the server's error if it fails. */
  async testMail(): Promise<TestMailResult> {
    const email = this.email;
    const { host, port } = email.smtp;
    try {
      const receipt = await this.send(email, {
        subject: `[taskmaster@${this.deps.host}] test mail`,
        text: testMailText(email, this.deps),
        messageId: null,
        headers: {},
      });
      this.deps.log.info(`mail: test mail sent to ${email.to.join(', ')}: ${receiptText(receipt)}`);
      return { to: [...email.to], response: receipt.response, rejected: receipt.rejected };
    } catch (error) {
      const reason = describeMailError(error);
      this.deps.log.warn(`mail: test mail to ${email.to.join(', ')} not sent: ${reason}`);
      throw new TaskmasterError(
        'MAIL_FAILED',
        `cannot send mail through ${host}:${port}: ${reason}`,
        {
          hint: `check the email section of ${this.deps.configFile} (smtp host, port, secure, requiretls, ca, user, pass; from, to), then tm reload`,
          cause: error,
        },
      );
    }
  }

  /** The rows a previous run stored after the cursor: their alerts were never mailed. */
  private replay(): void {
    let count = 0;
    try {
      for (const e of this.deps.store.candidates(this.cursor.seq)) {
        const before = this.open?.count ?? 0;
        this.take(e);
        count += (this.open?.count ?? 0) - before;
      }
      this.lastSeen = Math.max(this.lastSeen, this.deps.store.lastSeq());
    } catch (error) {
      this.deps.log.error(
        `mail: cannot read the event log for alerts not yet mailed: ${String(error)}`,
      );
    }
    if (count > 0) {
      this.deps.log.info(
        `mail: ${count === 1 ? '1 alert' : `${count} alerts`} stored by the previous run not yet mailed; they go in the next mail`,
      );
    }
  }

  private take(e: StoredEvent): void {
    if (e.seq > this.lastSeen) this.lastSeen = e.seq;
    const kind = this.kindOf(e);
    if (kind !== null) this.alerts$.next({ kind, event: e });
  }

  private kindOf(e: StoredEvent): AlertEvent | null {
    const wanted = this.email.events;
    const kind = alertOf(e, wanted);
    if (kind !== null) {
      this.alerted.set(e.name, true);
      this.removedAt.delete(e.name);
      return kind;
    }
    if (!isRun(e)) return null;
    const hadAlerted =
      wanted.includes('recovered') && (this.alerted.get(e.name) ?? this.alertedBefore(e));
    this.alerted.set(e.name, false);
    this.removedAt.delete(e.name);
    return hadAlerted ? 'recovered' : null;
  }

  /**
   * Read back from the log, for an instance not seen since the start: did it alert before this
   * run, since alerts were turned on? One row answers: its newest alert or run.
   */
  private alertedBefore(e: StoredEvent): boolean {
    try {
      const before = e.seq > 0 ? e.seq : this.lastSeen + 1;
      const wanted = this.email.events;
      const since = Math.max(this.cursor.sinceSeq, this.removedAt.get(e.name) ?? 0);
      const row = this.deps.store.lastAlertOrRun(e.name, since, before, {
        fatal: wanted.includes('fatal'),
        spawnError: wanted.includes('spawn-error'),
        crashLoop: wanted.includes('crash-loop'),
        unexpected: wanted.includes('unexpected'),
      });
      return row !== null && !isRun(row) && alertOf(row, wanted) !== null;
    } catch (error) {
      this.deps.log.error(`mail: cannot read the history of ${e.name}: ${String(error)}`);
    }
    return false;
  }

  private add(d: AlertDigest, alert: Alert): void {
    try {
      d.add(alert);
    } catch (error) {
      const row = alert.event.seq > 0 ? ` (event ${alert.event.seq})` : '';
      this.bug(`the ${alert.kind} alert of ${alert.event.name}${row} is lost`, error);
    }
  }

  private closeDigest(d: AlertDigest): void {
    try {
      if (this.open === d) this.open = null;
      this.owed.add(d);
      // in order: mails leave in the order of their alerts, whatever reading the files takes
      this.building = this.building.then(() => this.build(d));
    } catch (error) {
      this.owed.delete(d);
      this.bug(`the mail of ${alertsText(d.count)} is lost`, error);
    }
  }

  /** A bug of the alerts: said (in full the first time), and never thrown into the daemon. */
  private bug(what: string, error: unknown): void {
    try {
      const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
      this.deps.bug(`mail: internal error, ${what}: ${text}`, 'errors');
    } catch {
      // the daemon log itself failed: there is nowhere left to say it
    }
  }

  private async build(d: AlertDigest): Promise<void> {
    try {
      const outputs = new Map<string, LastLines | null>();
      await Promise.all(
        d
          .sorted()
          .slice(0, MAX_EXCERPTS)
          .map(async (i) => {
            const file = this.deps.instance(i.name)?.output ?? null;
            outputs.set(i.name, file === null ? null : await lastLines(file, EXCERPT_LINES));
          }),
      );
      const facts = {
        host: this.deps.host,
        signature: this.deps.signature,
        now: (name: string) => this.deps.instance(name),
        outputs,
      };
      this.queue.push({
        subject: subjectOf(d, this.deps.host),
        text: bodyOf(d, facts),
        alerts: d.count,
        digest: d,
      });
    } catch (error) {
      // a bug here must not stop the cursor for good: these alerts are lost, and said so
      this.owed.delete(d);
      this.deps.log.error(
        `mail: cannot write the mail of ${d.count} alerts: ${(error as Error).stack ?? String(error)}`,
      );
    }
  }

  private async deliver(mail: DigestMail, dropped: number, onData: () => void): Promise<string> {
    const d = mail.digest;
    const seqs = d.firstSeq === null ? null : `${d.firstSeq}-${d.lastSeq}`;
    const notice = dropped > 0 ? droppedNotice(dropped, this.timings.maxQueued) : '';
    const receipt = await this.send(this.email, {
      subject: mail.subject,
      text: `${notice}${mail.text}`,
      // the same digest sent again after a crash has the same id, which mail clients fold
      messageId: seqs === null ? null : `${this.cursor.stream}.${seqs}@${this.deps.host}`,
      headers: seqs === null ? {} : { 'X-Taskmaster-Events': seqs },
      onData,
    });
    return receiptText(receipt);
  }

  private sent(mail: DigestMail, response: string, attempts: number): void {
    this.owed.delete(mail.digest);
    if (this.isClosed) return;
    // on record before it is said: whoever reads the line may count on the cursor
    this.advance(true);
    const tries = attempts > 1 ? `, at attempt ${attempts}` : '';
    this.deps.log.info(
      `mail: sent to ${this.email.to.join(', ')}: ${mail.subject} (${alertsText(mail.alerts)}${tries}): ${response}`,
    );
  }

  private failed(mail: DigestMail, error: unknown, attempt: number, retryInMs: number): void {
    const waiting = this.queue.length > 1 ? `; ${this.queue.length - 1} more waiting` : '';
    this.deps.log.warn(
      `mail: not sent (attempt ${attempt}): ${mail.subject}: ${describeMailError(error)}; trying again in ${retryInMs / 1000} s${waiting}`,
    );
  }

  private dropped(mail: DigestMail): void {
    this.owed.delete(mail.digest);
    this.deps.log.warn(
      `mail: dropped, ${this.timings.maxQueued} mails wait already; its ${alertsText(mail.alerts)} are lost: ${mail.subject}`,
    );
  }

  /** Every row up to here is mailed, or no alert, or dropped. */
  private safeSeq(): number {
    let seq = this.lastSeen;
    for (const d of [this.open, ...this.owed]) {
      if (d?.firstSeq != null) seq = Math.min(seq, d.firstSeq - 1);
    }
    return seq;
  }

  /** Moves the cursor: after a mail at once, else at most every cursorIdleMs. */
  private advance(isNow: boolean): void {
    const seq = this.safeSeq();
    if (seq <= this.cursor.seq) return;
    const nowMs = Date.now();
    if (!isNow && nowMs - this.lastCursorWriteMs < this.timings.cursorIdleMs) return;
    this.lastCursorWriteMs = nowMs;
    const next = this.deps.write(() => this.deps.store.setCursor(seq));
    if (next !== undefined) this.cursor = next;
  }
}

function alertsText(n: number): string {
  return n === 1 ? '1 alert' : `${n} alerts`;
}

function receiptText(r: { response: string; rejected: string[] }): string {
  return r.rejected.length === 0
    ? r.response
    : `${r.response}; refused for ${r.rejected.join(', ')}`;
}

/** Resolves when `promise` does or `ms` have passed, whichever is first. */
async function within(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
