import { constants } from 'node:os';

const BY_NAME: Readonly<Record<string, number>> = constants.signals;

// Several names share a number (SIGIOT = SIGABRT, SIGPOLL = SIGIO): the first Node lists wins,
// which is the name `kill -l` prints.
const BY_NUMBER = new Map<number, string>();
for (const [name, number] of Object.entries(BY_NAME)) {
  if (!BY_NUMBER.has(number)) BY_NUMBER.set(number, name);
}

/** Every signal name this platform knows, without the `SIG` prefix (`TERM`, `USR1` …). */
export const SIGNAL_NAMES: readonly string[] = Object.keys(BY_NAME).map((name) => name.slice(3));

/**
 * The canonical name (`SIGTERM`) of a signal written as `TERM`, `SIGTERM`, `term`, `15` or 15;
 * null when this platform has no such signal.
 */
export function parseSignal(value: string | number): string | null {
  if (typeof value === 'number') return BY_NUMBER.get(value) ?? null;
  if (/^\d+$/.test(value)) return BY_NUMBER.get(Number(value)) ?? null;
  const upper = value.toUpperCase();
  const name = upper.startsWith('SIG') ? upper : `SIG${upper}`;
  return Object.hasOwn(BY_NAME, name) ? name : null;
}
