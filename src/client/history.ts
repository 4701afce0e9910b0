import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

const MAX_LINES = 1000;

/** The shell's history file: $TM_HISTORY, else ~/.tm_history. */
export function historyFile(env: Readonly<Record<string, string | undefined>>): string {
  const given = env.TM_HISTORY;
  return given !== undefined && given !== '' ? given : join(homedir(), '.tm_history');
}

/** The lines of earlier sessions, newest first (as readline keeps them). */
export function loadHistory(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    // no history yet (or unreadable): the shell starts with none
    return [];
  }
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .slice(-MAX_LINES)
    .reverse();
}

/**
 * Writes the history, oldest first, at most 1000 lines, readable by its owner only (commands
 * can name things worth keeping private). readline already skips a line equal to the one before.
 */
export function saveHistory(file: string, newestFirst: readonly string[]): void {
  const lines = newestFirst.slice(0, MAX_LINES).reverse();
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(`${file}.tmp`, lines.map((l) => `${l}\n`).join(''), { mode: 0o600 });
    renameSync(`${file}.tmp`, file);
  } catch {
    // a history that cannot be saved must not break the command being typed
  }
}
