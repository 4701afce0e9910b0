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
   * Resolves with the server's reply, rejects with why it was not taken. `onData` is called
   * once the server may take the mail (its data is being sent): see isDelivering.
   */
  send: (mail: M, dropped: number, onData: () => void) => Promise<string>;
  /** Mails that may wait besides the one being sent; past it the oldest waiting is dropped. */
  maxQueued: number;
  /** The wait after a first failure; it doubles with each failure of the same mail, up to max. */
  retryFirstMs: number;
  retryMaxMs: number;
  sent: (mail: M, response: string, attempts: number) => void;
  failed: (mail: M, error: unknown, attempt: number, retryInMs: number) => void;
  dropped: (mail: M) => void;
  /** A callback above threw: the queue goes on, the caller says it (a bug, never a mail error). */
  internalError: (error: unknown, callback: 'sent' | 'failed' | 'dropped') => void;
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
  /** The send under way, settled (never rejected) when its outcome has been told. */
  private inFlight: Promise<void> | null = null;
  /** Whether the send under way has handed the server its data. */
  private hasData = false;

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
      this.tell('dropped', () => this.options.dropped(oldest));
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

  /**
   * Resolves once the send under way (if any) is over and `sent` or `failed` has been told, or
   * after `ms`: a mail the server takes after a shutdown's deadline must still move the cursor.
   */
  async settle(ms: number): Promise<boolean> {
    if (this.inFlight === null) return true;
    let timer: NodeJS.Timeout | undefined;
    const isSettled = await Promise.race([
      this.inFlight.then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms))),
    ]);
    clearTimeout(timer);
    return isSettled;
  }

  /**
   * Whether the mail being sent now may already be the server's: its data went out and the
   * reply is awaited. A send still connecting or greeting (a server that hangs) is not: dropping
   * it loses nothing, its alerts are still owed.
   */
  get isDelivering(): boolean {
    return this.sending !== null && this.hasData;
  }

  /**
   * Stops sending: no new attempt starts. A mail being sent may still reach the server; if it
   * does, `sent` is still told (see settle()).
   */
  close(): void {
    this.isClosed = true;
    if (this.retry !== null) clearTimeout(this.retry.timer);
    this.retry?.wake();
  }

  private async pump(): Promise<void> {
    if (this.isPumping) return;
    this.isPumping = true;
    // the backoff belongs to one mail: a push that drops it (or a send) gives the next a fresh one
    let head: M | null = null;
    let attempt = 0;
    let waitMs = this.options.retryFirstMs;
    while (!this.isClosed && this.waiting.length > 0) {
      const mail = this.waiting.shift()!;
      if (mail !== head) {
        head = mail;
        attempt = 0;
        waitMs = this.options.retryFirstMs;
      }
      this.sending = mail;
      this.hasData = false;
      attempt += 1;
      const dropped = this.droppedAlerts;
      let settled: () => void = () => {};
      this.inFlight = new Promise((resolve) => (settled = resolve));
      let outcome: { response: string } | { error: unknown };
      // only the send in the try: a callback that throws must not make a sent mail look failed
      try {
        outcome = {
          response: await this.options.send(mail, dropped, () => (this.hasData = true)),
        };
      } catch (error) {
        outcome = { error };
      }
      this.sending = null;
      this.hasData = false;
      if ('response' in outcome) {
        const { response } = outcome;
        const attempts = attempt;
        this.droppedAlerts -= dropped;
        head = null;
        this.tell('sent', () => this.options.sent(mail, response, attempts));
        this.inFlight = null;
        settled();
        continue;
      }
      this.inFlight = null;
      settled();
      if (this.isClosed) break;
      // the same mail again, first: the order is what lets the cursor pass it
      this.waiting.unshift(mail);
      const retryInMs = this.isFlushing ? Math.min(waitMs, FLUSH_RETRY_MS) : waitMs;
      const { error } = outcome;
      const attempts = attempt;
      this.tell('failed', () => this.options.failed(mail, error, attempts, retryInMs));
      await this.sleep(retryInMs);
      waitMs = Math.min(waitMs * 2, this.options.retryMaxMs);
    }
    this.isPumping = false;
    if (this.length === 0 || this.isClosed) {
      for (const resolve of this.idle.splice(0)) resolve();
    }
  }

  private tell(callback: 'sent' | 'failed' | 'dropped', call: () => void): void {
    try {
      call();
    } catch (error) {
      try {
        this.options.internalError(error, callback);
      } catch {
        // the report of a bug failed too: nothing is left to tell, and the queue must go on
      }
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
