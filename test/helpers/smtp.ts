import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { AddressInfo, Server } from 'node:net';
import { join } from 'node:path';
import { ReplaySubject } from 'rxjs';
import { SMTPServer } from 'smtp-server';
import { waitFor } from './wait.js';

/** A mail as the server received it: the envelope, the decoded headers and text body. */
export type ReceivedMail = {
  from: string;
  to: string[];
  /** Lower-cased header names. */
  headers: Map<string, string>;
  subject: string;
  text: string;
  /** The session was encrypted (implicit TLS or STARTTLS). */
  secure: boolean;
  /** The user it authenticated as, if it did. */
  user: string | null;
};

export type TestSmtpOptions = {
  /** PEM key and certificate: STARTTLS is offered with them; without, STARTTLS is not offered. */
  tls?: { key: string; cert: string };
  /** Only this user and password are let in, and AUTH is required. */
  auth?: { user: string; pass: string };
};

/**
 * A real SMTP server (the `smtp-server` package) on 127.0.0.1 and a port of its own,
 * keeping every mail it takes. `refuse()` makes it answer MAIL FROM with an error, `stop()` and
 * `restart()` take it down and bring it back on the same port.
 */
export class TestSmtp {
  readonly mails: ReceivedMail[] = [];
  /** Every mail so far, then the new ones. */
  readonly mails$ = new ReplaySubject<ReceivedMail>();
  /** Every MAIL FROM it was sent (taken or refused). */
  attempts = 0;
  private refusal: { code: number; message: string } | null = null;
  /** While held, the reply to a mail's data waits here (the mail is already in `mails`). */
  private held: (() => void)[] | null = null;
  private server: SMTPServer;
  port = 0;

  private constructor(private readonly options: TestSmtpOptions) {
    this.server = this.create();
  }

  static async start(options: TestSmtpOptions = {}): Promise<TestSmtp> {
    const smtp = new TestSmtp(options);
    await smtp.listen(0);
    return smtp;
  }

  /** MAIL FROM is answered `code message` until `accept()`. */
  refuse(code: number, message: string): void {
    this.refusal = { code, message };
  }

  accept(): void {
    this.refusal = null;
  }

  /** The server takes the next mails' data but holds its reply until the returned call. */
  holdReplies(): () => void {
    this.held = [];
    return () => {
      const replies = this.held ?? [];
      this.held = null;
      for (const reply of replies) reply();
    };
  }

  /** Mails matching `pred`, once there are `count` of them. */
  async waitMails(
    count: number,
    what: string,
    pred: (m: ReceivedMail) => boolean = () => true,
    ms?: number,
  ): Promise<ReceivedMail[]> {
    let n = 0;
    await waitFor(this.mails$, (m) => pred(m) && ++n >= count, what, ms);
    return this.mails.filter(pred);
  }

  /** Down: the port refuses connections until `restart()`. */
  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  async restart(): Promise<void> {
    this.server = this.create();
    await this.listen(this.port);
  }

  private async listen(port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => resolve());
    });
    // its net.Server, typed here: the package's own types leave it to a module ESLint cannot see
    const listening = (this.server as unknown as { server: Server }).server;
    this.port = (listening.address() as AddressInfo).port;
  }

  private create(): SMTPServer {
    const { tls, auth } = this.options;
    return new SMTPServer({
      logger: false,
      // without a certificate of the test's it would do STARTTLS with its built-in one, which
      // no client trusts: it takes no STARTTLS then
      ...(tls ?? {}),
      disabledCommands: [
        ...(tls === undefined ? ['STARTTLS'] : []),
        ...(auth === undefined ? ['AUTH'] : []),
      ],
      authOptional: auth === undefined,
      allowInsecureAuth: true,
      onAuth: (a, _session, callback) => {
        if (auth !== undefined && a.username === auth.user && a.password === auth.pass) {
          callback(null, { user: a.username });
        } else {
          const error = new Error('authentication failed') as Error & { responseCode: number };
          error.responseCode = 535;
          callback(error);
        }
      },
      onMailFrom: (_address, _session, callback) => {
        this.attempts += 1;
        if (this.refusal === null) return callback();
        const error = new Error(this.refusal.message) as Error & { responseCode: number };
        error.responseCode = this.refusal.code;
        callback(error);
      },
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const mail = parse(Buffer.concat(chunks).toString('latin1'));
          const envelope = session.envelope;
          const received: ReceivedMail = {
            ...mail,
            from: envelope.mailFrom === false ? '' : envelope.mailFrom.address,
            to: envelope.rcptTo.map((r) => r.address),
            secure: session.secure,
            user: typeof session.user === 'string' ? session.user : null,
          };
          this.mails.push(received);
          this.mails$.next(received);
          if (this.held === null) callback();
          else this.held.push(() => callback());
        });
      },
    });
  }
}

/** Headers (unfolded) and the text body, quoted-printable decoded: enough for nodemailer's text mails. */
function parse(raw: string): { headers: Map<string, string>; subject: string; text: string } {
  const split = raw.indexOf('\r\n\r\n');
  const head = raw.slice(0, split).replace(/\r\n[ \t]+/g, ' ');
  const headers = new Map<string, string>();
  for (const line of head.split('\r\n')) {
    const colon = line.indexOf(':');
    headers.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
  }
  let body = raw.slice(split + 4);
  if (headers.get('content-transfer-encoding') === 'quoted-printable') {
    body = body
      .replace(/=\r\n/g, '')
      .replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  }
  return {
    headers,
    subject: headers.get('subject') ?? '',
    text: Buffer.from(body, 'latin1').toString('utf8').replace(/\r\n/g, '\n'),
  };
}

/** A self-signed certificate for 127.0.0.1 and localhost, made with openssl in `dir`. */
export function selfSignedCertificate(dir: string): { key: string; cert: string; file: string } {
  const key = join(dir, 'smtp-key.pem');
  const cert = join(dir, 'smtp-cert.pem');
  // an EC key: made in milliseconds, where RSA takes a while on a loaded machine
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ],
    { stdio: 'pipe' },
  );
  return { key: readFileSync(key, 'utf8'), cert: readFileSync(cert, 'utf8'), file: cert };
}
