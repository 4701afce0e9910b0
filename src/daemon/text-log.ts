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
  let dropped = 0;
  const write = (level: string, line: string) => {
    const text = `${new Date().toISOString()} ${level} ${line}\n`;
    if (open) {
      try {
        if (dropped > 0) {
          writeSync(
            fd,
            `${new Date().toISOString()} WARN ${dropped} log lines were lost (disk full?)\n`,
          );
          dropped = 0;
        }
        writeSync(fd, text);
      } catch {
        // a full disk must not stop supervision: the line is counted, and said once it can be
        dropped++;
      }
    }
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
