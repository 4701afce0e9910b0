import { randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { TaskmasterError } from '../domain/errors.js';

/**
 * The daemon's secret: read from `file`, or created there (mode 0600, 32 random bytes as hex)
 * when missing. Whoever can read the file may control the daemon.
 */
export function ensureToken(file: string): string {
  try {
    return readToken(file);
  } catch (error) {
    if ((error as { cause?: NodeJS.ErrnoException }).cause?.code !== 'ENOENT') throw error;
  }
  const token = randomBytes(32).toString('hex');
  // 'wx': never overwrite a token another daemon has just written
  writeFileSync(file, `${token}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  return token;
}

export function readToken(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new TaskmasterError(
      'UNAUTHORIZED',
      `cannot read the token file ${file}: ${code === 'ENOENT' ? 'no such file' : (code ?? String(error))}`,
      {
        hint: 'the daemon creates it when it starts; run tm as a user who can read it',
        cause: error,
      },
    );
  }
  const token = text.trim();
  if (token === '') {
    throw new TaskmasterError('UNAUTHORIZED', `the token file ${file} is empty`, {
      hint: 'delete it and restart taskmasterd to create a new one',
    });
  }
  return token;
}

/** Constant-time comparison, so the answer's timing says nothing about the secret. */
export function tokenMatches(expected: string, given: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}
