import { closeSync, openSync, writeSync } from 'node:fs';

export type TextLog = {
  info: (line: string) => void;
  warn: (line: string) => void;
  error: (line: string) => void;
  close: () => void;
};

/**
 * The daemon's log as text, one line an event with its time (SPEC §5). Written synchronously:
 * a line about a crash must be on disk before the crash, and the rate is one line per transition.
 */
export function openTextLog(file: string, echo: NodeJS.WritableStream | null): TextLog {
  const fd = openSync(file, 'a');
  let open = true;
  const write = (level: string, line: string) => {
    const text = `${new Date().toISOString()} ${level} ${line}\n`;
    if (open) writeSync(fd, text);
    echo?.write(text);
  };
  return {
    info: (line) => write('INFO', line),
    warn: (line) => write('WARN', line),
    error: (line) => write('ERROR', line),
    close: () => {
      if (!open) return;
      open = false;
      closeSync(fd);
    },
  };
}
