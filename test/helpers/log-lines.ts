import { Writable } from 'node:stream';
import { ReplaySubject } from 'rxjs';
import { waitFor } from './wait.js';

/**
 * The lines of an in-process daemon's log, through its `echo` stream (Daemon.open takes one):
 * every line so far, and a wait for the next that matches.
 */
export class LogLines {
  readonly lines: string[] = [];
  private readonly lines$ = new ReplaySubject<string>();
  private partial = '';
  readonly stream = new Writable({
    write: (chunk: Buffer, _encoding, callback) => {
      const parts = (this.partial + chunk.toString('utf8')).split('\n');
      this.partial = parts.pop()!;
      for (const line of parts) {
        this.lines.push(line);
        this.lines$.next(line);
      }
      callback();
    },
  });

  /** The first line (from the start) that matches. */
  wait(re: RegExp, ms?: number): Promise<string> {
    return waitFor(this.lines$, (l) => re.test(l), `a log line matching ${String(re)}`, ms).catch(
      (error: Error) => {
        throw new Error(`${error.message}; the log so far:\n${this.lines.join('\n')}`);
      },
    );
  }

  matching(re: RegExp): string[] {
    return this.lines.filter((l) => re.test(l));
  }
}
