// Issue 11: whatever a client sends the XML-RPC endpoint, it gets an HTTP error or a typed
// fault, and the daemon goes on; the unix socket is the daemon user's only.
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import { MAX_REQUEST_BYTES } from '../../../src/xmlrpc/server.js';
import { TestDaemon, tempDir } from '../../helpers/test-daemon.js';

const AUTH = `Basic ${Buffer.from('admin:secret').toString('base64')}`;

type Reply = { status: number; body: string };

function send(
  target: { port: number } | { socketPath: string },
  body: string,
  headers: Record<string, string> = { Authorization: AUTH },
  method = 'POST',
  path = '/RPC2',
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ ...target, host: '127.0.0.1', method, path, headers }, (res) => {
      let text = '';
      res.on('data', (b: Buffer) => (text += b.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const call = (method: string, params = '') =>
  `<?xml version="1.0"?><methodCall><methodName>${method}</methodName><params>${params}</params></methodCall>`;

async function daemon(xmlrpc: string) {
  const td = TestDaemon.start(
    `programs:\n  web:\n    cmd: sleep 1000\n    starttime: 0\n    stoptime: 1\nserver:\n  port: 0\n  xmlrpc: ${xmlrpc}\n`,
  );
  onTestFinished(() => td.stop());
  await td.waitState('web:0', 'running');
  await td.daemon.listen();
  return td;
}

function portOf(td: TestDaemon): number {
  const text = readFileSync(join(td.dir, 'taskmaster.log'), 'utf8');
  return Number(/XML-RPC API on 127\.0\.0\.1:(\d+)/.exec(text)![1]);
}

describe('the XML-RPC endpoint under bad requests (issue 11)', () => {
  it('answers bad XML, entities, huge bodies, unknown methods and bad auth without a crash', async () => {
    const td = await daemon('{ port: 0, username: admin, password: secret }');
    const at = { port: portOf(td) };
    const fault = (r: Reply) => /<name>faultCode<\/name><value><int>(\d+)<\/int>/.exec(r.body)?.[1];

    expect((await send(at, '<methodCall><methodName>x')).status).toBe(400);
    expect((await send(at, 'not xml at all')).status).toBe(400);
    const laughs =
      '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>' +
      call('supervisor.getPID');
    expect((await send(at, laughs)).status).toBe(400);
    expect((await send(at, call('supervisor.getPID&xxe;'))).status).toBe(400);
    expect((await send(at, 'x'.repeat(MAX_REQUEST_BYTES + 1))).status).toBe(413);
    const deep = `${'<value><array><data>'.repeat(100)}${'</data></array></value>'.repeat(100)}`;
    expect((await send(at, call('system.listMethods', `<param>${deep}</param>`))).status).toBe(400);

    expect(fault(await send(at, call('supervisor.nope')))).toBe('1');
    expect(fault(await send(at, call('supervisor.startProcess.__init__.__globals__')))).toBe('1');
    expect(fault(await send(at, call('__proto__.constructor')))).toBe('1');
    expect(fault(await send(at, call('supervisor.toString')))).toBe('1');
    expect(
      fault(
        await send(
          at,
          call('supervisor.getProcessInfo', '<param><value><int>1</int></value></param>'),
        ),
      ),
    ).toBe('2');
    // a struct member named __proto__ is just a member
    const proto =
      '<param><value><array><data><value><struct><member><name>__proto__</name><value>x</value></member></struct></value></data></array></value></param>';
    const multi = await send(at, call('system.multicall', proto));
    expect(multi.status).toBe(200);
    expect(multi.body).toContain('No methodName');

    expect((await send(at, call('supervisor.getPID'), {})).status).toBe(401);
    const wrong = `Basic ${Buffer.from('admin:guess').toString('base64')}`;
    expect((await send(at, call('supervisor.getPID'), { Authorization: wrong })).status).toBe(401);
    expect((await send(at, '', { Authorization: AUTH }, 'GET', '/logtail/nope:0')).status).toBe(
      404,
    );
    expect((await send(at, '', { Authorization: AUTH }, 'GET', '/etc/passwd')).status).toBe(404);
    expect(
      (await send(at, '', { Authorization: AUTH }, 'GET', '/logtail/web:0/../../etc')).status,
    ).toBe(400);

    // and it still serves
    const pid = await send(at, call('supervisor.getPID'));
    expect(pid.body).toContain(`<int>${process.pid}</int>`);
  });

  it('serves a unix socket created 0600, with the same auth', async () => {
    const dir = tempDir();
    const socketPath = join(dir, 'tm.sock');
    const td = await daemon(
      `{ socket: ${socketPath}, username: admin, password: "{SHA}e5e9fa1ba31ecd1ae84f75caaa474f3a663f05f4" }`,
    );
    expect(statSync(socketPath).mode & 0o777).toBe(0o600);
    expect((await send({ socketPath }, call('supervisor.getAPIVersion'))).body).toContain(
      '<string>3.0</string>',
    );
    expect((await send({ socketPath }, call('supervisor.getAPIVersion'), {})).status).toBe(401);
    expect(td.daemon.isStopping).toBe(false);
  });

  it('refuses a host that is not loopback unless public, and a section without auth', () => {
    const dir = tempDir();
    const file = join(dir, 'config.yaml');
    const load = (xmlrpc: string) => {
      writeFileSync(file, `server:\n  xmlrpc: ${xmlrpc}\n`);
      try {
        return loadConfig(file).server.xmlrpc;
      } catch (error) {
        return (error as Error).message;
      }
    };
    expect(load('{ host: 0.0.0.0, port: 9001, username: a, password: b }')).toMatch(
      /config\.yaml:2:19: server\.xmlrpc\.host: 0\.0\.0\.0 is not a loopback address.*\n {2}hint: set public: true/,
    );
    expect(load('{ host: 0.0.0.0, port: 9001, username: a, password: b, public: true }')).toEqual({
      listen: { host: '0.0.0.0', port: 9001 },
      username: 'a',
      password: 'b',
      isPublic: true,
    });
    expect(load('{ port: 9001 }')).toMatch(/server\.xmlrpc: expected a username/);
    expect(load('{ port: 9001, username: a, password: "{SHA}abc" }')).toMatch(
      /server\.xmlrpc\.password: expected \{SHA\} followed by 40 hex digits/,
    );
    expect(load('{ socket: s.sock, port: 1, username: a, password: b }')).toMatch(
      /give either socket or host and port, not both/,
    );
  });
});
