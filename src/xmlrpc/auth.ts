import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * HTTP Basic auth as Supervisor checks it (supervisor/http.py `encrypted_dictionary_authorizer`):
 * the password as written, or `{SHA}` and its hex SHA-1. Compared as digests, in constant time,
 * so that neither the length nor a prefix of the secret shows in the timing.
 */
export function basicAuthMatches(
  header: string | undefined,
  username: string,
  password: string,
): boolean {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (m === null) return false;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return false;
  const user = decoded.slice(0, colon);
  const given = decoded.slice(colon + 1);
  const expected = password.startsWith('{SHA}')
    ? Buffer.from(password.slice(5).toLowerCase(), 'hex')
    : sha1(password);
  return same(sha1(user), sha1(username)) && same(sha1(given), expected);
}

function sha1(text: string): Buffer {
  return createHash('sha1').update(text, 'utf8').digest();
}

function same(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The user a request names, for the log line of a refusal (never the password). */
export function basicAuthUser(header: string | undefined): string | null {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (m === null) return null;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0
    ? null
    : decoded
        .slice(0, colon)
        .replace(/\p{Cc}/gu, '?')
        .slice(0, 100);
}
