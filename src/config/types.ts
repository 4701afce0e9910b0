import type { FileLimit, ProgramSpec, State } from '../domain/types.js';

/** A whole config file, validated; every path is absolute (resolved against the file's folder). */
export type Config = {
  /** Absolute path of the file this was read from. */
  file: string;
  /** Programs in the order of the file; start order is by `priority`, then this order. */
  programs: readonly ProgramSpec[];
  daemon: DaemonSection;
  server: ServerSection;
  /** null when the file has no `email` section: no alerts are sent. */
  email: EmailSection | null;
};

export type DaemonSection = {
  logfile: string;
  /** When the daemon's log is rotated (by rename: the daemon owns its descriptor). */
  logLimit: FileLimit;
  eventlog: string;
  pidfile: string;
  eventRetention: EventRetention;
};

/** How much history the event log keeps (SPEC §5): per instance, and in days. */
export type EventRetention = {
  perInstance: number;
  days: number;
};

export type ServerSection = {
  host: string;
  port: number;
  tokenfile: string;
};

export type EmailSection = {
  smtp: {
    host: string;
    port: number;
    secure: boolean;
    user: string | null;
    pass: string | null;
  };
  from: string;
  to: readonly string[];
  /** Which target states alert; `unexpected` stands for an unexpected exit. */
  events: readonly (State | 'unexpected')[];
  digestMs: number;
};
