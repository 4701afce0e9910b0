import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import {
  closeSync,
  constants,
  createWriteStream,
  existsSync,
  openSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it, onTestFinished } from 'vitest';
import { openTextLog, type TextLog } from '../../../src/daemon/text-log.js';
import type { FileLimit } from '../../../src/domain/types.js';
import { tempDir } from '../../helpers/test-daemon.js';

const UNBOUNDED: FileLimit = { maxBytes: 0, backups: 0 };

/** A path in a temp dir of its own, removed when the test ends. */
function logPath(): string {
  const dir = tempDir('tm-log-');
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'taskmaster.log');
}

function open(file: string, limit: FileLimit, echo: NodeJS.WritableStream | null = null): TextLog {
  const log = openTextLog(file, limit, echo);
  onTestFinished(() => log.close());
  return log;
}

/** The log's messages (time stamp cut off), oldest first; none when the file is not there. */
function messages(file: string): string[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.slice(l.indexOf(' ') + 1));
}

/** The files of the log's folder, sorted. */
function files(file: string): string[] {
  return readdirSync(join(file, '..')).sort();
}

/** `n` lines `line 0` … of a known length: 24 bytes of time stamp, ` INFO `, the text, `\n`. */
function writeLines(log: TextLog, from: number, to: number): void {
  for (let i = from; i < to; i++) log.info(`line ${String(i).padStart(3, '0')}`);
}
const LINE_BYTES = 24 + ' INFO '.length + 'line 000'.length + 1;

describe('the daemon log as text', () => {
  it('writes one line an event, with its time and level', () => {
    const file = logPath();
    const log = open(file, UNBOUNDED);
    log.info('web:0: running pid 42');
    log.warn('web:0: exited exit code 3 pid 42');
    log.close();
    const lines = readFileSync(file, 'utf8').split('\n');
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO web:0: running pid 42$/);
    expect(lines[1]).toMatch(/ WARN web:0: exited exit code 3 pid 42$/);
    expect(LINE_BYTES).toBe(39);
  });

  // a full disk must not throw into the daemon (it would die and leave its children unsupervised)
  it.runIf(existsSync('/dev/full'))('on a full disk, goes on and still echoes', () => {
    const echo = new PassThrough();
    // a device is never rotated, however small the bound
    const log = open('/dev/full', { maxBytes: 1, backups: 2 }, echo);
    expect(() => log.info('web:0: starting (user)')).not.toThrow();
    expect(() => log.error('web:0: still failing')).not.toThrow();
    log.close();
    expect(String(echo.read())).toMatch(
      /INFO web:0: starting \(user\)\n.* ERROR web:0: still failing\n$/,
    );
    expect(existsSync('/dev/full.1')).toBe(false);
  });

  // issue 10: a foreground daemon whose stderr reader went away (its terminal closed, the pipe's
  // reader killed) got EPIPE at its next line, logged the uncaught exception, echoed that, and so
  // on without end: a spinning daemon and a log filling the disk
  it('stops echoing when the echo fails, says so in the file once, and goes on', async () => {
    const file = logPath();
    const fifo = join(file, '..', 'stderr.fifo');
    execFileSync('mkfifo', [fifo]);
    const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    const echo = createWriteStream(fifo, { flags: 'w' });
    await once(echo, 'open');
    onTestFinished(() => void echo.destroy());
    closeSync(reader);
    const log = open(file, UNBOUNDED, echo);
    log.info('web:0: running pid 42');
    await once(echo, 'error');
    // the error is heard after the listener above: the log's own listener has run by now
    await new Promise((resolve) => setImmediate(resolve));
    log.info('web:0: exited exit code 3 pid 42');
    log.close();
    expect(messages(file)).toEqual([
      'INFO web:0: running pid 42',
      'WARN stderr: EPIPE; the log is no longer echoed there',
      'INFO web:0: exited exit code 3 pid 42',
    ]);
  });
});

describe('rotation by size', () => {
  it('keeps PATH, PATH.1 … PATH.backups, none over maxBytes, no line split or lost but the oldest', () => {
    const file = logPath();
    // five lines a file
    const log = open(file, { maxBytes: 5 * LINE_BYTES + 10, backups: 2 });
    writeLines(log, 0, 23);
    log.close();

    expect(files(file)).toEqual(['taskmaster.log', 'taskmaster.log.1', 'taskmaster.log.2']);
    for (const f of [file, `${file}.1`, `${file}.2`]) {
      expect(statSync(f).size).toBeLessThanOrEqual(5 * LINE_BYTES + 10);
    }
    const line = (i: number) => `INFO line ${String(i).padStart(3, '0')}`;
    const range = (a: number, b: number) => Array.from({ length: b - a }, (_, k) => line(a + k));
    // PATH.1 is the newest backup; lines 0–9 were dropped with the older ones
    expect(messages(`${file}.2`)).toEqual(range(10, 15));
    expect(messages(`${file}.1`)).toEqual(range(15, 20));
    expect(messages(file)).toEqual(range(20, 23));
  });

  it('counts from the size the file had when it was opened', () => {
    const file = logPath();
    writeFileSync(file, 'x'.repeat(90) + '\n');
    const log = open(file, { maxBytes: 100, backups: 1 });
    log.info('line 000');
    log.close();
    expect(readFileSync(`${file}.1`, 'utf8')).toBe('x'.repeat(90) + '\n');
    expect(messages(file)).toEqual(['INFO line 000']);
  });

  it('maxbytes 0 never rotates', () => {
    const file = logPath();
    const log = open(file, { maxBytes: 0, backups: 10 });
    writeLines(log, 0, 100);
    log.close();
    expect(files(file)).toEqual(['taskmaster.log']);
    expect(messages(file)).toHaveLength(100);
  });

  it('backups 0 starts the file again in place', () => {
    const file = logPath();
    const log = open(file, { maxBytes: 3 * LINE_BYTES, backups: 0 });
    writeLines(log, 0, 7);
    log.close();
    expect(files(file)).toEqual(['taskmaster.log']);
    expect(messages(file)).toEqual(['INFO line 006']);
  });

  it('a rotation that fails is said once, the log goes on, and it is tried again', () => {
    const file = logPath();
    const echo = new PassThrough();
    const log = open(file, { maxBytes: 5 * LINE_BYTES, backups: 1 }, echo);
    // a directory where the backup goes: rename(2) refuses to put a file there
    mkdirSync(`${file}.1`);
    writeFileSync(join(`${file}.1`, 'keep'), '');

    writeLines(log, 0, 15);
    const cannot = `ERROR cannot rotate ${file}: EISDIR; the log goes on in the file it had`;
    // tried at line 5, and again after each further maxBytes (at line 10): said once
    const line = (i: number) => `INFO line ${String(i).padStart(3, '0')}`;
    const range = (a: number, b: number) => Array.from({ length: b - a }, (_, k) => line(a + k));
    expect(messages(file)).toEqual([...range(0, 5), cannot, ...range(5, 15)]);
    expect(String(echo.read())).toContain(cannot);

    rmSync(`${file}.1`, { recursive: true });
    // the next try is at line 15
    writeLines(log, 15, 17);
    log.close();
    expect(messages(`${file}.1`).slice(-2)).toEqual(range(13, 15));
    expect(messages(file)).toEqual([`INFO rotating ${file} works again`, ...range(15, 17)]);
  });
});

describe('reopen (SIGUSR2, for an external logrotate)', () => {
  it('lets go of a file moved away and writes at PATH again', () => {
    const file = logPath();
    const log = open(file, UNBOUNDED);
    log.info('before');
    renameSync(file, `${file}.moved`);
    log.info('while moved');
    expect(log.reopen()).toBe(true);
    log.info('after');
    log.close();
    expect(messages(`${file}.moved`)).toEqual(['INFO before', 'INFO while moved']);
    expect(messages(file)).toEqual(['INFO after']);
  });

  it('counts the size of the file it reopens', () => {
    const file = logPath();
    const log = open(file, { maxBytes: 100, backups: 1 });
    // logrotate's copytruncate leaves PATH in place; another tool may put a file there
    renameSync(file, `${file}.moved`);
    writeFileSync(file, 'x'.repeat(90) + '\n');
    expect(log.reopen()).toBe(true);
    log.info('line 000');
    log.close();
    expect(readFileSync(`${file}.1`, 'utf8')).toBe('x'.repeat(90) + '\n');
    expect(messages(file)).toEqual(['INFO line 000']);
  });

  it('when PATH cannot be opened, goes on in the file it had and says so once', () => {
    const file = logPath();
    const log = open(file, UNBOUNDED);
    renameSync(file, `${file}.moved`);
    mkdirSync(file);

    expect(log.reopen()).toBe(false);
    expect(log.reopen()).toBe(false);
    log.info('still written');
    const cannot = `ERROR cannot reopen ${file}: EISDIR; the log goes on in the file it had`;
    expect(messages(`${file}.moved`)).toEqual([cannot, 'INFO still written']);

    rmdirSync(file);
    expect(log.reopen()).toBe(true);
    log.info('back');
    log.close();
    expect(messages(file)).toEqual([`INFO reopening ${file} works again`, 'INFO back']);
  });
});
