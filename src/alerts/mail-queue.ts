/** A mail waiting to go, with the alerts it carries. */
export type QueuedMail = {
  subject: string;
  text: string;
  /** How many alerts it carries: what is lost if it is dropped. */
  alerts: number;
};

export type MailQueueOptions<M extends QueuedMail> = {
  /**
   * Sends one mail; `dropped` alerts of earlier mails were lost and the mail should say so.
   * Resolves with the server's reply, rejects with why it was not taken.
   */
  send: (mail: M, dropped: number) => Promise<string>;
  /** Mails that may wait besides the one being sent; past it the oldest waiting is dropped. */
  maxQueued: number;
  /** The wait after a first failure; it doubles with each failure of the same mail, up to max. */
  retryFirstMs: number;
  retryMaxMs: number;
  sent: (mail: M, response: string, attempts: number) => void;
  failed: (mail: M, error: unknown, attempt: number, retryInMs: number) => void;
  dropped: (mail: M) => void;
};

/** While a shutdown flushes the queue, a failure is tried again this soon, not after its backoff. */
const FLUSH_RETRY_MS = 250;

/**
 * Mails go one at a time, in order: the alert cursor may only pass a mail once it and every mail
 * before it are sent (or dropped). Nothing here is awaited by supervision: `push` returns at
 * once, and a server that refuses or cannot be reached costs a timer, not a blocked event loop.
 */
export class MailQueue<M extends QueuedMail> {
  private readonly waiting: M[] = [];
  private sending: M | null = null;
  private droppedAlerts = 0;
  private isPumping = false;
  private isFlushing = false;
  private isClosed = false;
  private retry: { timer: NodeJS.Timeout; wake: () => void } | null = null;
  private readonly idle: (() => void)[] = [];

  constructor(private readonly options: MailQueueOptions<M>) {}

  /** Mails not yet sent, the one being sent included. */
  get length(): number {
    return this.waiting.length + (this.sending === null ? 0 : 1);
  }

  /** Every mail waiting, in order (the one being sent first). */
  get pending(): readonly M[] {
    return this.sending === null ? [...this.waiting] : [this.sending, ...this.waiting];
  }

  push(mail: M): void {
    if (this.isClosed) return;
    this.waiting.push(mail);
    while (this.waiting.length > this.options.maxQueued) {
      const oldest = this.waiting.shift()!;
      this.droppedAlerts += oldest.alerts;
      this.options.dropped(oldest);
    }
    void this.pump();
  }

  /**
   * Tries to send everything queued now, failures again at short intervals, until the queue is
   * empty or `ms` have passed. Resolves with the number of mails left unsent.
   */
  async flush(ms: number): Promise<number> {
    if (this.length === 0) return 0;
    this.isFlushing = true;
    this.retry?.wake();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      new Promise<void>((resolve) => this.idle.push(resolve)),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, ms))),
    ]);
    clearTimeout(timer);
    return this.length;
  }

  /** Stops sending; a mail being sent may still reach the server, but is not followed up. */
  close(): void {
    this.isClosed = true;
    if (this.retry !== null) clearTimeout(this.retry.timer);
    this.retry?.wake();
  }

  private async pump(): Promise<void> {
    if (this.isPumping) return;
    this.isPumping = true;
    let attempt = 0;
    let waitMs = this.options.retryFirstMs;
    while (!this.isClosed && this.waiting.length > 0) {
      const mail = this.waiting.shift()!;
      this.sending = mail;
      attempt += 1;
      const dropped = this.droppedAlerts;
      try {
        const response = await this.options.send(mail, dropped);
        this.sending = null;
        if (this.isClosed) break;
        this.droppedAlerts -= dropped;
        this.options.sent(mail, response, attempt);
        attempt = 0;
        waitMs = this.options.retryFirstMs;
      } catch (error) {
        this.sending = null;
        if (this.isClosed) break;
        // the same mail again, first: the order is what lets the cursor pass it
        this.waiting.unshift(mail);
        const retryInMs = this.isFlushing ? Math.min(waitMs, FLUSH_RETRY_MS) : waitMs;
        this.options.failed(mail, error, attempt, retryInMs);
        await this.sleep(retryInMs);
        waitMs = Math.min(waitMs * 2, this.options.retryMaxMs);
      }
    }
    this.isPumping = false;
    if (this.length === 0 || this.isClosed) {
      for (const resolve of this.idle.splice(0)) resolve();
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.retry = null;
        resolve();
      };
      const timer = setTimeout(wake, this.isFlushing ? Math.min(ms, FLUSH_RETRY_MS) : ms);
      this.retry = { timer, wake };
    });
  }
}
