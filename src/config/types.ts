import type { FileLimit, ProgramSpec } from '../domain/types.js';
import type { XmlRpcSection } from './xmlrpc.js';

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
  /** What each `include` pattern matched, in order; their programs are in `programs`. */
  includes: readonly IncludedFiles[];
};

/** An `include` pattern and the files it matched (none is not an error, as in Supervisor). */
export type IncludedFiles = { pattern: string; files: readonly string[] };

export type DaemonSection = {
  logfile: string;
  /** When the daemon's log is rotated (by rename: the daemon owns its descriptor). */
  logLimit: FileLimit;
  eventlog: string;
  pidfile: string;
  eventRetention: EventRetention;
};

/** How much history the event log keeps (docs/config.md § daemon): per instance, and in days. */
export type EventRetention = {
  perInstance: number;
  days: number;
};

export type ServerSection = {
  host: string;
  port: number;
  tokenfile: string;
  /** Supervisor's XML-RPC API (docs/xmlrpc.md); absent when not configured: it is off. */
  xmlrpc?: XmlRpcSection;
};

/**
 * What can be mailed (docs/alerts.md), worst first: a give-up, a failed spawn, an instance held in
 * the crash-loop throttle, an unexpected exit, and an instance that alerted running again.
 */
export const ALERT_EVENTS = [
  'fatal',
  'spawn-error',
  'crash-loop',
  'unexpected',
  'recovered',
] as const;
export type AlertEvent = (typeof ALERT_EVENTS)[number];

/**
 * A secret as the config gives it: written in the file, or read when a mail is sent from a file
 * (a trailing newline dropped) or from the daemon's environment, so it need not sit in the config.
 */
export type Secret = { value: string } | { file: string } | { env: string };

export type EmailSection = {
  smtp: {
    host: string;
    port: number;
    /** TLS from the first byte (port 465); otherwise STARTTLS is used when the server offers it. */
    secure: boolean;
    /** Refuse to send unless the connection is encrypted (STARTTLS must be offered). */
    requireTls: boolean;
    /** A PEM file of the certificate authority to trust for the server; null: the system's. */
    ca: string | null;
    user: Secret | null;
    pass: Secret | null;
  };
  from: string;
  to: readonly string[];
  events: readonly AlertEvent[];
  /** How long alerts gather, from the first one, before their mail goes (0: at once). */
  digestMs: number;
};
