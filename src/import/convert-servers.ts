import { inetAddress } from './datatypes.js';
import { NO_NAMES, type Scope } from './expansions.js';
import type { IniSection } from './ini.js';
import { entry, type Entry } from './output.js';
import { SectionReader, type Conversion } from './section-reader.js';

/** The port of taskmaster's own protocol (tm), when the config says nothing of it. */
const TM_PORT = 7878;
const OWN = "taskmaster's own protocol, for tm";

export type Servers = { server: Entry[]; hasSecrets: boolean; comments: string[] };

type Listen = { host: string; port: number } | { socket: string };
type Candidate = {
  reader: SectionReader;
  listen: Listen;
  username: string | null;
  password: string | null;
};

/**
 * `[inet_http_server]` and `[unix_http_server]` (options.py `server_configs_from_parser`) as
 * `server.xmlrpc`, where supervisorctl and XML-RPC clients reach taskmasterd as they reached
 * supervisord. taskmaster serves it at one address: the one `[supervisorctl] serverurl` names,
 * else the unix socket (supervisorctl's usual way in). Its HTTP Basic auth is never off: a
 * server without credentials gets those of `[supervisorctl]`, or a generated password.
 */
export function convertServers(
  cx: Conversion,
  sections: readonly IniSection[],
  ctl: IniSection | undefined,
  randomSecret: () => string,
): Servers {
  const scope: Scope = { here: '', names: NO_NAMES };
  const candidates: Candidate[] = [];
  for (const section of sections) {
    const r = new SectionReader(cx, section);
    const credentials = readCredentials(r, scope);
    if (section.name.startsWith('inet_http_server')) {
      const port = r.raw('port');
      if (port === undefined) {
        r.refuse(null, null, 'no port value', 'add port = 127.0.0.1:9001');
        continue;
      }
      const address = r.typed('port', scope, '', inetAddress);
      if (address !== undefined)
        candidates.push({ reader: r, listen: address.value, ...credentials });
    } else {
      const file = r.fixed('file', scope, '');
      if (file?.at === null)
        r.refuse(null, null, 'no file value', 'add file = /run/supervisor.sock');
      for (const key of ['chmod', 'chown']) {
        if (r.raw(key) !== undefined)
          r.note(key, 'taskmaster creates the socket 0600, owned by the user it runs as', true);
      }
      if (file?.at)
        candidates.push({ reader: r, listen: { socket: file.value.trim() }, ...credentials });
    }
    r.listUnread();
  }
  const serverurl = ctl?.options.get('serverurl')?.value ?? '';
  const chosen =
    candidates.find(
      (c) => 'socket' in c.listen === serverurl.startsWith('unix://') && serverurl !== '',
    ) ??
    candidates.find((c) => 'socket' in c.listen) ??
    candidates[0];
  for (const c of candidates) {
    if (c !== chosen)
      c.reader.note(
        null,
        `taskmaster serves XML-RPC at one address: [${chosen!.reader.section.name}]'s`,
        true,
      );
  }
  const tmPort =
    chosen !== undefined && 'port' in chosen.listen && chosen.listen.port === TM_PORT
      ? TM_PORT + 1
      : TM_PORT;
  const server: Entry[] = [
    entry(
      'host',
      '127.0.0.1',
      chosen === undefined ? OWN : `${OWN} (supervisorctl uses xmlrpc below)`,
    ),
    entry('port', tmPort),
    entry('tokenfile', 'taskmaster.token'),
  ];
  if (chosen === undefined) return { server, hasSecrets: false, comments: [] };
  server.push(xmlrpcEntry(chosen, ctl, randomSecret));
  return { server, hasSecrets: true, comments: [] };
}

function readCredentials(
  r: SectionReader,
  scope: Scope,
): { username: string | null; password: string | null } {
  const username = r.isSet('username') ? r.fixed('username', scope, '') : undefined;
  const password = r.isSet('password') ? r.fixed('password', scope, '') : undefined;
  if (r.isSet('username') !== r.isSet('password')) {
    r.refuse(null, null, 'incomplete authentication: give both username and password, or neither');
  }
  return { username: username?.value ?? null, password: password?.value ?? null };
}

function xmlrpcEntry(c: Candidate, ctl: IniSection | undefined, randomSecret: () => string): Entry {
  const comments = [
    `[${c.reader.section.name}] of ${c.reader.section.file}:${c.reader.section.line}: supervisorctl and XML-RPC clients connect here as before`,
  ];
  const value: Record<string, unknown> = {};
  if ('socket' in c.listen) {
    value.socket = c.listen.socket;
  } else {
    const isEveryInterface = c.listen.host === '';
    value.host = isEveryInterface ? '0.0.0.0' : c.listen.host;
    value.port = c.listen.port;
    if (!isLoopback(value.host as string)) {
      value.public = true;
      const where = isEveryInterface ? 'on every interface' : `on ${c.listen.host}`;
      comments.push(
        `Supervisor served it ${where}; taskmaster asks for public: true to do so (127.0.0.1 keeps it local)`,
      );
    }
  }
  let { username, password } = c;
  if (username === null || password === null) {
    const ctlUser = ctl?.options.get('username')?.value;
    const ctlPass = ctl?.options.get('password')?.value;
    const isUsable =
      ctlUser !== undefined && ctlPass !== undefined && !`${ctlUser}${ctlPass}`.includes('%(');
    username = isUsable ? ctlUser : 'admin';
    password = isUsable ? ctlPass : randomSecret();
    const given = isUsable
      ? 'those of [supervisorctl], so supervisorctl goes on working'
      : 'username admin and a generated password: give them to supervisorctl (-u, -p, or its [supervisorctl] username and password)';
    c.reader.note(
      null,
      `no username and password: taskmaster's XML-RPC always asks for them; written: ${given}`,
      true,
    );
    comments.push(
      isUsable
        ? 'username and password: those of [supervisorctl]'
        : 'username and password generated by tm import: Supervisor asked for none here',
    );
  }
  value.username = username;
  value.password = password;
  return { key: 'xmlrpc', value, comments, isFlow: true };
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
