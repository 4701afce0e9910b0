import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { EmailSection, Secret } from '../config/types.js';

export type OutgoingMail = {
  subject: string;
  text: string;
  /** Without the angle brackets; null: nodemailer makes one. */
  messageId: string | null;
  headers: Readonly<Record<string, string>>;
  /**
   * Told when the server has said go ahead to the mail's data (354) and the body is being sent:
   * from then on it may take the mail, and only its reply says whether it did.
   */
  onData?: () => void;
};

/** What the server said when it took the mail. */
export type Receipt = { response: string; accepted: string[]; rejected: string[] };

/** Sends one mail through the configured server, or rejects with why it could not. */
export type SendMail = (email: EmailSection, mail: OutgoingMail) => Promise<Receipt>;

/** A setting that cannot be used (a password file that cannot be read): said like an SMTP error. */
export class MailSetupError extends Error {
  override name = 'MailSetupError';
}

/** The longest silence of the server in a send. */
const SOCKET_TIMEOUT_MS = 30_000;

/**
 * Timeouts much shorter than nodemailer's (2 min to connect, 10 min of silence): a mail server
 * that hangs must not hold the queue, nor a shutdown, for minutes.
 */
const TIMEOUTS = {
  connectionTimeout: 10_000,
  greetingTimeout: 10_000,
  socketTimeout: SOCKET_TIMEOUT_MS,
  dnsTimeout: 10_000,
};

/**
 * nodemailer over SMTP, with a connection per mail (digests are rare; a pool would hold a socket
 * for nothing). Secrets and the CA file are read at each send, so a password file changed since
 * the start is taken, and nodemailer is loaded only once a mail is sent: a daemon without an
 * `email` section never loads it.
 */
export const sendSmtp: SendMail = async (email, mail) => {
  const { smtp } = email;
  const [user, pass, ca] = await Promise.all([
    readSecret(smtp.user, 'email.smtp.user'),
    readSecret(smtp.pass, 'email.smtp.pass'),
    smtp.ca === null ? null : readConfigFile(smtp.ca, 'email.smtp.ca'),
  ]);
  const { createTransport } = await import('nodemailer');
  const transport = createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: smtp.secure,
    // STARTTLS is used whenever the server offers it (nodemailer's default); this refuses a
    // server that does not
    requireTLS: smtp.requireTls,
    ...(user === null && pass === null ? {} : { auth: { user: user ?? '', pass: pass ?? '' } }),
    ...(ca === null ? {} : { tls: { ca } }),
    ...TIMEOUTS,
  });
  try {
    const info = await transport.sendMail({
      from: email.from,
      to: [...email.to],
      subject: mail.subject,
      text: bodyStream(mail),
      headers: { ...mail.headers },
      ...(mail.messageId === null ? {} : { messageId: `<${mail.messageId}>` }),
    });
    return {
      response: info.response,
      accepted: info.accepted.map(String),
      rejected: info.rejected.map(String),
    };
  } finally {
    transport.close();
  }
};

/**
 * The text as a stream read only once the server has taken DATA: nodemailer pipes the message
 * after the 354 (or, when the envelope was refused, drains it just before the error it reports).
 */
function bodyStream(mail: OutgoingMail): Readable {
  const { text, onData } = mail;
  return Readable.from(
    (function* () {
      onData?.();
      yield Buffer.from(text, 'utf8');
    })(),
    { objectMode: false },
  );
}

async function readSecret(secret: Secret | null, key: string): Promise<string | null> {
  if (secret === null) return null;
  if ('value' in secret) return secret.value;
  if ('env' in secret) {
    const value = process.env[secret.env];
    if (value === undefined) {
      throw new MailSetupError(`${key}: the environment variable ${secret.env} is not set`);
    }
    return value;
  }
  // a file written by `echo secret > file` ends with a newline that is no part of the secret
  return (await readConfigFile(secret.file, key)).replace(/\r?\n$/, '');
}

async function readConfigFile(file: string, key: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new MailSetupError(`${key}: cannot read ${file}: ${code}`, { cause: error });
  }
}

/** An SMTP failure in one line: nodemailer's message carries the server's reply when there is one. */
export function describeMailError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  const message = error.message.replace(/\s+/g, ' ').trim();
  // nodemailer's codes that say more than its message: a socket error's message already has
  // its own (connect ECONNREFUSED …), and ESOCKET/ECONNECTION add nothing to it
  const isUseful = typeof code === 'string' && !['ESOCKET', 'ECONNECTION'].includes(code);
  return isUseful && !message.includes(code) ? `${message} (${code})` : message;
}
