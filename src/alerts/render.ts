import type { AlertEvent, EmailSection } from '../config/types.js';
import type { State } from '../domain/types.js';
import { severity, type AlertDigest, type InstanceAlerts } from './alert-digest.js';
import type { LastLines } from './last-lines.js';

/** An instance as it is when its mail is written. */
export type InstanceNow = { state: State; pid: number | null; since: number | null };

/** What a mail says besides its alerts. */
export type MailFacts = {
  host: string;
  /** Who sent it: `taskmasterd 4242, config /etc/taskmaster.yaml`. */
  signature: string;
  /** null: the instance is not in the config any more. */
  now: (name: string) => InstanceNow | null;
  /** The end of each instance's stderr (or stdout) file; null or absent: it has none. */
  outputs: ReadonlyMap<string, LastLines | null>;
};

/** Instances given a block of their own; the rest are named in one line. */
export const MAX_BLOCKS = 30;
/** Instances (the worst first) whose output is quoted. */
export const MAX_EXCERPTS = 10;
/** Lines quoted from an instance's output. */
export const EXCERPT_LINES = 20;
/** Instances named in the subject. */
const SUBJECT_NAMES = 3;

const LABEL: Record<AlertEvent, string> = {
  fatal: 'FATAL',
  'spawn-error': 'SPAWN ERROR',
  'crash-loop': 'CRASH LOOP',
  unexpected: 'UNEXPECTED EXIT',
  recovered: 'RECOVERED',
};

const NOUN: Record<AlertEvent, readonly [string, string]> = {
  fatal: ['fatal', 'fatal'],
  'spawn-error': ['spawn error', 'spawn errors'],
  'crash-loop': ['crash-loop wait', 'crash-loop waits'],
  unexpected: ['unexpected exit', 'unexpected exits'],
  recovered: ['recovered', 'recovered'],
};

function counted(n: number, kind: AlertEvent): string {
  return `${n} ${NOUN[kind][n === 1 ? 0 : 1]}`;
}

/**
 * `[taskmaster@web1] FATAL api:0, api:1 (+3 unexpected exits)`: the worst kind, the instances
 * that have it, and what else the mail counts.
 */
export function subjectOf(d: AlertDigest, host: string): string {
  const worst = d.worst;
  const named = d.sorted().filter((i) => i.worst === worst);
  const shown = named.slice(0, SUBJECT_NAMES).map((i) => i.name);
  const more = named.length > shown.length ? ` and ${named.length - shown.length} more` : '';
  const rest: string[] = [];
  const extra = worst === 'recovered' ? 0 : d.countOf(worst) - named.length;
  if (extra > 0) rest.push(counted(extra, worst));
  for (const kind of ['fatal', 'spawn-error', 'crash-loop', 'unexpected', 'recovered'] as const) {
    const n = kind === worst ? 0 : d.countOf(kind);
    if (n > 0) rest.push(counted(n, kind));
  }
  const others = rest.length === 0 ? '' : ` (+${rest.join(', ')})`;
  return `[taskmaster@${host}] ${LABEL[worst]} ${shown.join(', ')}${more}${others}`;
}

/** The plain-text body: one block per instance, short lines for a phone's mail client. */
export function bodyOf(d: AlertDigest, facts: MailFacts): string {
  const instances = d.sorted();
  const sameDay = day(d.firstAtMs) === day(d.lastAtMs);
  const span =
    d.count === 1
      ? `at ${localTime(d.firstAtMs, true)}`
      : `from ${localTime(d.firstAtMs, true)} to ${localTime(d.lastAtMs, !sameDay)}`;
  const out = [
    `${d.count === 1 ? '1 alert' : `${d.count} alerts`} on ${facts.host} ${span} (${zone(d.firstAtMs)}), ` +
      `${instances.length === 1 ? '1 instance' : `${instances.length} instances`}:`,
  ];
  // instances sharing one output file: it is quoted once
  const quoted = new Set<string>();
  for (const [n, i] of instances.slice(0, MAX_BLOCKS).entries()) {
    out.push('', ...block(i, facts, n < MAX_EXCERPTS ? quoted : null, sameDay));
  }
  const left = instances.slice(MAX_BLOCKS);
  if (left.length > 0) {
    const names = left.slice(0, 100).map((i) => i.name);
    const etc = left.length > names.length ? ', …' : '';
    out.push('', `and ${left.length} more instances: ${names.join(', ')}${etc}`);
  }
  const first = instances[0]!.name;
  out.push(
    '',
    '-- ',
    facts.signature,
    `tm status ${first} · tm log ${first} · tm tail ${first} --stderr`,
  );
  return `${out.join('\n')}\n`;
}

/** `quoted`: the files quoted so far, null when this block quotes none. */
function block(
  i: InstanceAlerts,
  facts: MailFacts,
  quoted: Set<string> | null,
  sameDay: boolean,
): string[] {
  const lines = [`${i.name}: ${nowText(facts.now(i.name))}`];
  const kinds = [...i.counts]
    .filter(([k]) => k !== 'recovered')
    .sort(([a], [b]) => severity(a) - severity(b))
    .map(([k, n]) => counted(n, k));
  if (kinds.length > 0) {
    const when =
      i.firstAtMs === i.lastAtMs
        ? `at ${localTime(i.firstAtMs, !sameDay)}`
        : `${localTime(i.firstAtMs, !sameDay)} to ${localTime(i.lastAtMs, !sameDay)}`;
    lines.push(`  ${kinds.join(', ')} (${when})`);
  }
  if (i.exits.size > 0) lines.push(`  exits: ${[...i.exits].map(times).join(', ')}`);
  for (const m of i.spawnErrors) lines.push(`  spawn error: ${times(m)}`);
  if (i.longestWaitMs !== null) {
    lines.push(`  crash loop: restarts held back up to ${i.longestWaitMs / 1000} s`);
  }
  if (i.retries > 0) lines.push(`  retries: ${i.retries}`);
  if (i.recoveredAtMs !== null) {
    lines.push(`  recovered: up since ${localTime(i.recoveredAtMs, !sameDay)}`);
  }
  const output = facts.outputs.get(i.name) ?? null;
  if (quoted !== null && output !== null) {
    if (quoted.has(output.file)) {
      lines.push(`  its output is ${output.file}, quoted above`);
    } else if ('error' in output) {
      lines.push(`  cannot read ${output.file}: ${output.error}`);
    } else if (output.lines.length === 0) {
      lines.push(`  ${output.file} is empty`);
    } else {
      lines.push(`  last ${output.lines.length} lines of ${output.file}:`);
      lines.push(...output.lines.map((l) => `  | ${l}`));
    }
    quoted.add(output.file);
  }
  return lines;
}

function times([what, n]: [string, number]): string {
  return n === 1 ? what : `${what} (${n} times)`;
}

function nowText(now: InstanceNow | null): string {
  if (now === null) return 'no longer in the config';
  const pid = now.pid === null ? '' : ` (pid ${now.pid})`;
  const since = now.since === null ? '' : ` since ${localTime(now.since, true)}`;
  return `now ${now.state}${pid}${since}`;
}

/** The line that opens the next mail after alerts were dropped. */
export function droppedNotice(alerts: number, maxQueued: number): string {
  return (
    `${alerts === 1 ? '1 alert was' : `${alerts} alerts were`} not mailed: the mail server ` +
    `could not take them while ${maxQueued} mails waited (tm log has every event).\n\n`
  );
}

/** `tm mail test`: says where alerts go and which, so the settings can be checked. */
export function testMailText(email: EmailSection, facts: Pick<MailFacts, 'signature'>): string {
  const { host, port, secure } = email.smtp;
  return [
    'This is a test mail sent by `tm mail test`: the alerts of this taskmasterd reach you.',
    '',
    `to: ${email.to.join(', ')}`,
    `through: ${host}:${port}${secure ? ' (TLS)' : ''}`,
    `alerts on: ${email.events.length === 0 ? 'nothing (email.events is empty)' : email.events.join(', ')}`,
    `gathered for: ${email.digestMs / 1000} s from the first alert`,
    '',
    '-- ',
    facts.signature,
    '',
  ].join('\n');
}

const pad = (n: number) => String(n).padStart(2, '0');

function day(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** Local time, as the people on call read their clock; the zone is said once, at the top. */
function localTime(ms: number, withDate: boolean): string {
  const d = new Date(ms);
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  return withDate ? `${day(ms)} ${time}` : time;
}

function zone(ms: number): string {
  const offset = -new Date(ms).getTimezoneOffset();
  const abs = Math.abs(offset);
  return `UTC${offset < 0 ? '-' : '+'}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}
