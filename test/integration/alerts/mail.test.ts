import { writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { AlertDigest } from '../../../src/alerts/alert-digest.js';
import { alertLog } from '../../../src/eventlog/alert-log.js';
import { openEventDb } from '../../../src/eventlog/db.js';
import type { AlertTimings } from '../../../src/alerts/alerts.js';
import { TaskmasterError } from '../../../src/domain/errors.js';
import { LogLines } from '../../helpers/log-lines.js';
import { selfSignedCertificate, TestSmtp, type ReceivedMail } from '../../helpers/smtp.js';
import { fixture, tempDir, TestDaemon } from '../../helpers/test-daemon.js';

/**
 * Issue 9: alerts by email, from a daemon in this process to a real SMTP server on loopback
 * (the smtp-server package): what the mails say, to whom, how often, and what happens when the
 * server refuses them or is gone.
 */

const HOST = hostname();
/** Retries and the shutdown's flush made short; the digest window is the config's own. */
const FAST: Partial<AlertTimings> = { retryFirstMs: 50, retryMaxMs: 100, flushMs: 2000 };

type Setup = {
  programs: string;
  email: string;
  timings?: Partial<AlertTimings>;
  smtp?: TestSmtp;
};

type Running = { td: TestDaemon; smtp: TestSmtp; logs: LogLines; stop: () => Promise<void> };

async function setup(s: Setup): Promise<Running> {
  const smtp = s.smtp ?? (await TestSmtp.start());
  onTestFinished(() => smtp.stop());
  const logs = new LogLines();
  const yaml = `programs:\n${s.programs}email:\n${s.email.replaceAll('PORT', String(smtp.port))}`;
  const td = TestDaemon.start(yaml, tempDir('tm-alerts-'), {
    echo: logs.stream,
    alertTimings: { ...FAST, ...s.timings },
  });
  return { td, smtp, logs, stop: stopAtEnd(td) };
}

/**
 * Stops `td` when the test ends, and returns the stop: once only, so that a test may stop it
 * itself (to see what the shutdown sends) and leave nothing to clean up.
 */
function stopAtEnd(td: TestDaemon): () => Promise<void> {
  let stopping: Promise<void> | null = null;
  const stop = () => (stopping ??= td.stop());
  onTestFinished(stop);
  return stop;
}

function email(...lines: string[]): string {
  const base = [
    'smtp: { host: 127.0.0.1, port: PORT }',
    'from: taskmaster@example.com',
    'to: [ops@example.com, dev@example.com]',
  ];
  for (const line of lines) {
    const key = line.slice(0, line.indexOf(':'));
    const i = base.findIndex((b) => b.startsWith(`${key}:`));
    if (i >= 0) base[i] = line;
    else base.push(line);
  }
  return base.map((l) => `  ${l}\n`).join('');
}

/** The `N unexpected exits` of an instance's block, 0 if none. */
function unexpectedCount(mail: ReceivedMail): number {
  return Number(/^ {2}(\d+) unexpected exits? \(/m.exec(mail.text)?.[1] ?? 0);
}

describe('alert mails', () => {
  it('two instances that give up: one mail to every recipient, counted, quoting stderr; then a recovered notice', async () => {
    const { td, smtp, logs, stop } = await setup({
      programs:
        '  api:\n' +
        `    cmd: sh ${fixture('fail-until.sh')} ok\n` +
        '    numprocs: 2\n    starttime: 0.5\n    startretries: 1\n    stderr: api.stderr\n',
      // long enough for both tries (1 s apart) to fall in the first window
      email: email('events: [fatal, unexpected, recovered]', 'digest: 2.5'),
    });
    const [mail] = await smtp.waitMails(1, 'the mail of the fatal pair', undefined, 15_000);
    expect(mail!.to).toEqual(['ops@example.com', 'dev@example.com']);
    expect(mail!.from).toBe('taskmaster@example.com');
    expect(mail!.subject).toBe(`[taskmaster@${HOST}] FATAL api:0, api:1 (+2 unexpected exits)`);
    const text = mail!.text;
    expect(text).toMatch(
      new RegExp(
        `^4 alerts on ${HOST} from \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d to \\d\\d:\\d\\d:\\d\\d \\(UTC[+-]\\d\\d:\\d\\d\\), 2 instances:\n`,
      ),
    );
    for (const name of ['api:0', 'api:1']) {
      const block = text.slice(
        text.indexOf(`\n${name}: `),
        text.indexOf('\n\n', text.indexOf(`\n${name}: `) + 1),
      );
      expect(block).toMatch(new RegExp(`^\n${name}: now fatal since \\d{4}-`));
      expect(block).toMatch(
        /\n {2}1 fatal, 1 unexpected exit \(\d\d:\d\d:\d\d to \d\d:\d\d:\d\d\)\n/,
      );
      expect(block).toContain('\n  exits: exit code 3 (2 times)\n');
      expect(block).toContain('\n  retries: 1\n');
    }
    // one file for both: quoted once
    const stderr = join(td.dir, 'api.stderr');
    expect(text).toMatch(
      new RegExp(
        `\n  last 4 lines of ${stderr}:\n(  \\| boom: cannot reach the database \\(pid \\d+\\)\n){4}\n`,
      ),
    );
    expect(text).toContain(`\n  its output is ${stderr}, quoted above\n`);
    expect(text).toContain(
      `\n-- \ntaskmasterd ${process.pid} on ${HOST}, config ${td.configFile}\n`,
    );
    // the mail's rows: from the first failure to the last fatal
    const rows = td.daemon.events({}).filter((e) => e.to === 'fatal' || e.expected === false);
    expect(mail!.headers.get('x-taskmaster-events')).toBe(`${rows[0]!.seq}-${rows.at(-1)!.seq}`);
    await logs.wait(
      /INFO mail: sent to ops@example.com, dev@example.com: \[taskmaster@.*\] FATAL api:0, api:1 \(\+2 unexpected exits\) \(4 alerts\): 250 /,
    );

    // it works now: started again, it stays up its starttime, and the next mail says so
    writeFileSync(join(td.dir, 'ok'), '');
    const running = td.waitState('api:0', 'running', td.mark());
    td.daemon.command('start', ['api:0']);
    const { pid } = await running;
    const mails = await smtp.waitMails(2, 'the recovered notice');
    expect(mails[1]!.subject).toBe(`[taskmaster@${HOST}] RECOVERED api:0`);
    expect(mails[1]!.text).toContain(`\napi:0: now running (pid ${pid}) since `);
    expect(mails[1]!.text).toMatch(/\n {2}recovered: up since \d\d:\d\d:\d\d\n/);
    await stop();
    expect(smtp.mails).toHaveLength(2);
  }, 30_000);

  it('a tight crash loop: each digest counts its exits, and the mails add up to the log, none twice', async () => {
    const { td, smtp, stop } = await setup({
      programs: "  crash:\n    cmd: sh -c 'exit 2'\n    starttime: 0\n    restartdelaymax: 0\n",
      email: email('events: [unexpected]', 'digest: 1'),
    });
    const [first] = await smtp.waitMails(1, 'the first digest of the loop', undefined, 10_000);
    const stopped = td.waitState('crash:0', 'stopped', td.mark());
    td.daemon.command('stop', ['crash:0']);
    await stopped;
    // the shutdown sends the digest still open
    const exits = td.daemon.events({ names: ['crash:0'] }).filter((e) => e.expected === false);
    await stop();
    expect(exits.length).toBeGreaterThan(10);
    expect(first!.subject).toMatch(
      new RegExp(
        `^\\[taskmaster@${HOST}\\] UNEXPECTED EXIT crash:0 \\(\\+\\d+ unexpected exits\\)$`,
      ),
    );
    expect(Number(/\+(\d+)/.exec(first!.subject)![1]) + 1).toBe(unexpectedCount(first!));
    expect(smtp.mails.reduce((n, m) => n + unexpectedCount(m), 0)).toBe(exits.length);
    // each row in one mail only
    const ranges = smtp.mails.map((m) =>
      m.headers.get('x-taskmaster-events')!.split('-').map(Number),
    );
    for (let i = 1; i < ranges.length; i++)
      expect(ranges[i]![0]).toBeGreaterThan(ranges[i - 1]![1]!);
    expect(ranges[0]![0]).toBe(exits[0]!.seq);
    expect(ranges.at(-1)![1]).toBe(exits.at(-1)!.seq);
  }, 30_000);

  it('a server that refuses (4xx, then 5xx) and comes back: the mail arrives once, each attempt a log line', async () => {
    const smtp = await TestSmtp.start();
    smtp.refuse(451, '4.3.0 mailbox busy, try later');
    const { logs, stop } = await setup({
      smtp,
      programs: "  flaky:\n    cmd: sh -c 'exit 1'\n    startretries: 0\n",
      email: email('events: [fatal]', 'digest: 0.2'),
    });
    await logs.wait(
      /WARN mail: not sent \(attempt 1\): \[taskmaster@.*\] FATAL flaky:0: Mail command failed: 451 4\.3\.0 mailbox busy, try later.*; trying again in 0\.05 s$/,
    );
    smtp.refuse(550, '5.7.1 relaying denied');
    await logs.wait(
      /WARN mail: not sent \(attempt \d+\): .*: Mail command failed: 550 5\.7\.1 relaying denied/,
    );
    expect(smtp.mails).toHaveLength(0);
    smtp.accept();
    const [mail] = await smtp.waitMails(1, 'the mail once the server takes it');
    expect(mail!.subject).toBe(`[taskmaster@${HOST}] FATAL flaky:0`);
    const sent = await logs.wait(
      /INFO mail: sent to .* FATAL flaky:0 \(1 alert, at attempt (\d+)\): 250 /,
    );
    expect(Number(/at attempt (\d+)/.exec(sent)![1])).toBe(smtp.attempts);
    await stop();
    expect(smtp.mails).toHaveLength(1);
  }, 20_000);

  // review of issue 9: rxjs rethrew it on a timer, an uncaughtException that shut the daemon down
  it('a bug in the digests is logged, loses only its alert, and the next ones are mailed', async () => {
    const add = vi.spyOn(AlertDigest.prototype, 'add').mockImplementationOnce(() => {
      throw new Error('boom in add');
    });
    onTestFinished(() => add.mockRestore());
    const { td, smtp, logs, stop } = await setup({
      programs: "  flaky:\n    cmd: sh -c 'exit 1'\n    startretries: 1\n",
      email: email('events: [fatal, unexpected]', 'digest: 0.2'),
    });
    await logs.wait(
      /ERROR mail: internal error, the unexpected alert of flaky:0 \(event \d+\) is lost: Error: boom in add/,
    );
    await td.waitState('flaky:0', 'fatal');
    const [mail] = await smtp.waitMails(1, 'the mail of the alerts after the bug');
    // the lost one is not in it: the fatal alone
    expect(mail!.subject).toBe(`[taskmaster@${HOST}] FATAL flaky:0`);
    expect(mail!.text).toMatch(/^1 alert on /);
    await stop();
  }, 20_000);

  // review of issue 9: the reply came after the deadline, the cursor stayed, the next start re-sent it
  it('a mail in flight at the shutdown deadline: its reply is waited for, and the cursor passes it', async () => {
    const { td, smtp, logs, stop } = await setup({
      programs: "  flaky:\n    cmd: sh -c 'exit 1'\n    startretries: 0\n",
      email: email('events: [fatal]', 'digest: 0'),
      timings: { flushMs: 300 },
    });
    const release = smtp.holdReplies();
    const fatal = await td.waitState('flaky:0', 'fatal');
    await smtp.waitMails(1, 'the mail, its reply held');
    const stopping = stop();
    await logs.wait(
      /INFO mail: still sending at the end of the 0\.3 s; waiting up to 0\.3 s more for the server's reply/,
    );
    release();
    await stopping;
    await logs.wait(/INFO mail: sent to .* FATAL flaky:0 \(1 alert\): 250 /);
    const db = openEventDb(join(td.dir, 'taskmaster.db'));
    onTestFinished(() => void db.close());
    expect(alertLog(db).cursor()!.seq).toBeGreaterThanOrEqual(fatal.seq);
  }, 20_000);

  it('a reply that never comes holds the shutdown one deadline more, and the mail stays owed', async () => {
    const { td, smtp, logs, stop } = await setup({
      programs: "  flaky:\n    cmd: sh -c 'exit 1'\n    startretries: 0\n",
      email: email('events: [fatal]', 'digest: 0'),
      timings: { flushMs: 300 },
    });
    onTestFinished(smtp.holdReplies());
    const fatal = await td.waitState('flaky:0', 'fatal');
    await smtp.waitMails(1, 'the mail, its reply held');
    await stop();
    await logs.wait(/WARN mail: no reply from the server 0\.3 s later; the mail is sent again/);
    const db = openEventDb(join(td.dir, 'taskmaster.db'));
    onTestFinished(() => void db.close());
    expect(alertLog(db).cursor()!.seq).toBeLessThan(fatal.seq);
  }, 20_000);

  it('a server down while alerts pile up: the queue stays bounded, and the next mail says what was dropped', async () => {
    const smtp = await TestSmtp.start();
    await smtp.stop();
    const { td, logs, stop } = await setup({
      smtp,
      programs: "  crash:\n    cmd: sh -c 'exit 2'\n    starttime: 0\n    restartdelaymax: 0\n",
      email: email('events: [unexpected]', 'digest: 0.1'),
      timings: { maxQueued: 2, retryFirstMs: 50, retryMaxMs: 50, flushMs: 5000 },
    });
    await logs.wait(/WARN mail: dropped, 2 mails wait already; its \d+ alerts? (are|is) lost: /);
    const stopped = td.waitState('crash:0', 'stopped', td.mark());
    td.daemon.command('stop', ['crash:0']);
    await stopped;
    await smtp.restart();
    const exits = td.daemon.events({ names: ['crash:0'] }).filter((e) => e.expected === false);
    await stop();
    const mailed = smtp.mails.reduce((n, m) => n + unexpectedCount(m), 0);
    const notices = smtp.mails.map((m) => /^(\d+) alerts? (?:was|were) not mailed: /.exec(m.text));
    // the first mail after the outage says how many were dropped, and the rest adds up
    expect(notices[0]).not.toBeNull();
    expect(notices.slice(1).every((n) => n === null)).toBe(true);
    expect(mailed + Number(notices[0]![1])).toBe(exits.length);
    expect(smtp.mails.length).toBeLessThanOrEqual(3);
  }, 30_000);

  it('turned on by a reload, alerts start from then, not from the past; turned off, what is owed is sent first', async () => {
    const smtp = await TestSmtp.start();
    onTestFinished(() => smtp.stop());
    const logs = new LogLines();
    const flaky = "programs:\n  flaky:\n    cmd: sh -c 'exit 1'\n    startretries: 0\n";
    const withEmail = (digest: number) =>
      `${flaky}email:\n${email('events: [fatal]', `digest: ${digest}`).replaceAll('PORT', String(smtp.port))}`;
    const td = TestDaemon.start(flaky, tempDir('tm-alerts-'), {
      echo: logs.stream,
      alertTimings: FAST,
    });
    const stop = stopAtEnd(td);
    await td.waitState('flaky:0', 'fatal');
    td.writeConfig(withEmail(0.2));
    td.daemon.reload();
    await logs.wait(
      /INFO mail: alerts on fatal to ops@example.com, dev@example.com through 127\.0\.0\.1:\d+, gathered for 0\.2 s$/,
    );
    // a second give-up, after the reload: only this one is mailed
    const fatal = td.waitState('flaky:0', 'fatal', td.mark());
    td.daemon.command('start', ['flaky:0']);
    const { seq } = await fatal;
    const [mail] = await smtp.waitMails(1, 'the alert after the reload');
    expect(mail!.headers.get('x-taskmaster-events')).toBe(`${seq}-${seq}`);
    // a long window open when the section goes: its alert is sent before the alerts stop
    td.writeConfig(withEmail(60));
    td.daemon.reload();
    const again = td.waitState('flaky:0', 'fatal', td.mark());
    td.daemon.command('start', ['flaky:0']);
    await again;
    td.writeConfig(flaky);
    td.daemon.reload();
    await logs.wait(
      /INFO mail: the email section is gone, alerts stop once what they owe is sent$/,
    );
    await smtp.waitMails(2, 'the alert owed when the section went');
    await stop();
    expect(smtp.mails).toHaveLength(2);
  }, 20_000);

  it('STARTTLS with a self-signed certificate (trusted through ca), login from an environment variable and a file', async () => {
    const dir = tempDir('tm-tls-');
    const cert = selfSignedCertificate(dir);
    const smtp = await TestSmtp.start({
      tls: { key: cert.key, cert: cert.cert },
      auth: { user: 'tm', pass: 's3cret' },
    });
    writeFileSync(join(dir, 'smtp.pass'), 's3cret\n');
    process.env.TM_TEST_SMTP_USER = 'tm';
    onTestFinished(() => void delete process.env.TM_TEST_SMTP_USER);
    const smtpLine = (extra: string) =>
      `smtp: { host: 127.0.0.1, port: PORT, requiretls: true, user: { env: TM_TEST_SMTP_USER }, pass: { file: ${join(dir, 'smtp.pass')} }${extra} }`;
    const { td, logs } = await setup({
      smtp,
      programs: '  quiet:\n    cmd: sleep 1000\n',
      email: email(smtpLine(`, ca: ${cert.file}`)),
    });
    const result = await td.daemon.testMail();
    expect(result).toMatchObject({ to: ['ops@example.com', 'dev@example.com'], rejected: [] });
    expect(result.response).toMatch(/^250 /);
    const [mail] = await smtp.waitMails(1, 'the test mail');
    expect(mail).toMatchObject({
      secure: true,
      user: 'tm',
      subject: `[taskmaster@${HOST}] test mail`,
    });
    expect(mail!.text).toContain('\nthrough: 127.0.0.1:');
    await logs.wait(/INFO mail: test mail sent to ops@example.com, dev@example.com: 250 /);

    // the same server without the ca: its certificate is refused, nothing goes in clear
    const refused = async (pattern: RegExp) => {
      const error = await td.daemon.testMail().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TaskmasterError);
      expect((error as TaskmasterError).code).toBe('MAIL_FAILED');
      expect((error as TaskmasterError).message).toMatch(pattern);
      expect((error as TaskmasterError).hint).toContain(`the email section of ${td.configFile}`);
    };
    const reload = (smtpSection: string, port = smtp.port) => {
      td.writeConfig(
        `programs:\n  quiet:\n    cmd: sleep 1000\nemail:\n${email(smtpSection).replaceAll('PORT', String(port))}`,
      );
      td.daemon.reload();
    };
    reload(smtpLine(''));
    await refused(
      new RegExp(
        `^cannot send mail through 127\\.0\\.0\\.1:${smtp.port}: .*self-signed certificate`,
      ),
    );
    // a wrong password, and a password file that is not there
    writeFileSync(join(dir, 'smtp.pass'), 'wrong\n');
    reload(smtpLine(`, ca: ${cert.file}`));
    await refused(/: Invalid login: 535 authentication failed \(EAUTH\)$/);
    reload(smtpLine(`, ca: ${cert.file}`).replace('smtp.pass', 'missing.pass'));
    await refused(
      new RegExp(`: email\\.smtp\\.pass: cannot read ${join(dir, 'missing.pass')}: ENOENT$`),
    );
    // requiretls against a server that offers no STARTTLS: refused before anything is sent
    const plain = await TestSmtp.start();
    onTestFinished(() => plain.stop());
    reload('smtp: { host: 127.0.0.1, port: PORT, requiretls: true }', plain.port);
    await refused(/: Error upgrading connection with STARTTLS: 500 .*\(ETLS\)$/);
    expect(plain.mails).toHaveLength(0);
    expect(logs.matching(/WARN mail: test mail to .* not sent: /)).toHaveLength(4);
  }, 30_000);
});
