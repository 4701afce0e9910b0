/**
 * `server.xmlrpc`: Supervisor's XML-RPC API, opt-in (docs/xmlrpc.md). Either a TCP address
 * (`host`, `port`) or a unix socket (`socket`), always with HTTP Basic auth. The section is read
 * by validate.ts's readers (line and column for each value); the rules between its keys are here.
 */

export const XMLRPC_KEYS = ['host', 'port', 'socket', 'username', 'password', 'public'] as const;
export type XmlRpcKey = (typeof XMLRPC_KEYS)[number];

export type XmlRpcListen = { host: string; port: number } | { socket: string };

export type XmlRpcSection = {
  listen: XmlRpcListen;
  username: string;
  /** As written: clear text, or `{SHA}` and the hex SHA-1 of the password (Supervisor's form). */
  password: string;
  /** A host that is not loopback was asked for on purpose (logged as a warning at start). */
  isPublic: boolean;
};

/** The values as written (null: left out), each already checked for its kind. */
export type XmlRpcValues = {
  host: string | null;
  port: number | null;
  socket: string | null;
  username: string | null;
  password: string | null;
  public: boolean | null;
};

/** Where a problem is said: at `key`'s value, or at the section itself for null. */
export type XmlRpcProblem = (key: XmlRpcKey | null, message: string, hint?: string) => void;

const SHA = /^\{SHA\}[0-9a-fA-F]{40}$/;

/** What an `xmlrpc` section with these values means, or undefined after reporting why not. */
export function xmlrpcSection(v: XmlRpcValues, problem: XmlRpcProblem): XmlRpcSection | undefined {
  let problems = 0;
  const say: XmlRpcProblem = (key, message, hint) => {
    problems++;
    problem(key, message, hint);
  };
  let listen: XmlRpcListen | undefined;
  if (v.socket !== null) {
    if (v.host !== null || v.port !== null) {
      say(v.host !== null ? 'host' : 'port', 'give either socket or host and port, not both');
    }
    if (v.public !== null) {
      say('public', 'public is for a host: a socket is reached through its file (created 0600)');
    }
    listen = { socket: v.socket };
  } else if (v.port === null) {
    say(
      v.host === null ? null : 'host',
      'expected a port (and a host) or a socket to listen on',
      'write xmlrpc: { port: 9001, username: admin, password: ... }, or socket: PATH',
    );
  } else {
    const host = v.host ?? '127.0.0.1';
    if (!isLoopbackHost(host) && v.public !== true) {
      say(
        'host',
        `${host} is not a loopback address: anyone who can reach it could control the daemon`,
        'set public: true to serve it there anyway (behind a firewall or a TLS proxy)',
      );
    }
    listen = { host, port: v.port };
  }
  if (v.username === null) {
    say(null, 'expected a username: HTTP Basic auth is always required', 'add username: admin');
  }
  if (v.password === null) {
    say(
      null,
      'expected a password: HTTP Basic auth is always required',
      'add password: "{SHA}" followed by the hex SHA-1 of the password (echo -n secret | sha1sum)',
    );
  } else if (v.password.startsWith('{SHA}') && !SHA.test(v.password)) {
    say('password', 'expected {SHA} followed by 40 hex digits (a SHA-1 digest)');
  }
  if (problems > 0 || listen === undefined) return undefined;
  return {
    listen,
    username: v.username!,
    password: v.password!,
    isPublic: v.public === true && 'host' in listen,
  };
}

/** 127.0.0.0/8, ::1 and localhost: the addresses only this machine reaches. */
export function isLoopbackHost(host: string): boolean {
  return (
    host === 'localhost' ||
    host === '::1' ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) ||
    /^::ffff:127\./.test(host)
  );
}
