import { ThrottledLog } from '../rpc/throttled-log.js';
import type { TextLog } from './text-log.js';

/** The signals that stop every instance and then the daemon (docs/signals.md). */
export const SHUTDOWN_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGQUIT'] as const;

/**
 * Signals that mean nothing to taskmasterd but whose default action would end it (and some dump
 * core), leaving its children unsupervised: each is logged and otherwise ignored. SIGUSR1 is
 * here too, though Node does not die of it: by default it opens the inspector on
 * 127.0.0.1:9229, to which any local user could connect and run code as the daemon's user
 * (often root); a listener replaces that (debug with `node --inspect` instead).
 *
 * Left out on purpose: SIGPIPE and SIGXFSZ, which Node ignores from its start (a write then
 * fails with EPIPE or EFBIG, and the writer handles it; a listener would log every such write);
 * SIGSEGV, SIGBUS, SIGFPE and SIGILL, which only the kernel sends for a fault in the daemon
 * itself (a handler that returns runs the faulting instruction again, forever); SIGKILL and
 * SIGSTOP, which no process can catch; SIGTSTP, SIGTTIN and SIGTTOU, which pause the daemon
 * (its children go on running) until SIGCONT, as job control does to any program. SIGPOLL is
 * SIGIO and SIGIOT is SIGABRT (the same numbers on Linux): a listener on both names would log
 * each signal twice. docs/signals.md has the whole table.
 */
export const IGNORED_SIGNALS = [
  'SIGUSR1',
  'SIGALRM',
  'SIGVTALRM',
  'SIGPROF',
  'SIGIO',
  'SIGXCPU',
  'SIGSTKFLT',
  'SIGPWR',
  'SIGTRAP',
  'SIGSYS',
  'SIGABRT',
] as const satisfies readonly NodeJS.Signals[];

/** A flood of one signal is one line at once, then one count per interval. */
const SIGNAL_LOG_INTERVAL_MS = 10_000;

export type SignalActions = {
  /** SIGTERM, SIGINT, SIGQUIT; returns false when a shutdown is already under way. */
  shutdown: (signal: NodeJS.Signals) => boolean;
  /** SIGHUP. */
  reload: () => void;
};

export type SignalHandlers = {
  /** Says what was counted and not yet said (at shutdown). */
  flush: () => void;
};

/**
 * Takes every signal the daemon handles, for the life of the process: a shutdown, a reload,
 * SIGUSR2's reopen of the log, and the ignored ones, each logged once per occurrence through a
 * throttle per signal, so a flood (`while kill -ALRM …`) cannot grow the log without bound.
 */
export function takeSignals(log: TextLog, actions: SignalActions): SignalHandlers {
  const throttles: ThrottledLog[] = [];
  const throttle = (signal: NodeJS.Signals, write: (line: string) => void) => {
    const t = new ThrottledLog(
      write,
      SIGNAL_LOG_INTERVAL_MS,
      (n) => `${signal} received ${n} more ${n === 1 ? 'time' : 'times'}`,
    );
    throttles.push(t);
    return t;
  };

  for (const signal of SHUTDOWN_SIGNALS) {
    const again = throttle(signal, log.info);
    process.on(signal, () => {
      // the first is said by the shutdown it starts; the ones after it can come in a flood
      if (!actions.shutdown(signal)) again.say(`${signal} received, already shutting down`, signal);
    });
  }
  process.on('SIGHUP', () => actions.reload());

  const reopened = throttle('SIGUSR2', log.info);
  process.on('SIGUSR2', () => {
    // the line goes to the new file, where the operator who rotated the log looks for it
    if (log.reopen()) reopened.say('SIGUSR2 received: log file reopened', 'reopened');
    else reopened.say('SIGUSR2 received: log file not reopened', 'not reopened');
  });

  for (const signal of IGNORED_SIGNALS) {
    const ignored = throttle(signal, log.warn);
    process.on(signal, () => ignored.say(`${signal} received: ignored`, 'ignored'));
  }

  return { flush: () => throttles.forEach((t) => t.flush()) };
}
