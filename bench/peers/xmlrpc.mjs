// The little of XML-RPC that supervisord's API needs: a call with string and boolean params, and
// a reply of ints, strings, booleans, arrays and structs (a fault becomes an Error).
import { Buffer } from 'node:buffer';
import { request } from 'node:http';

const escape = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const unescape = (s) =>
  s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');

export function encodeCall(method, params = []) {
  const value = (p) =>
    typeof p === 'boolean'
      ? `<boolean>${p ? 1 : 0}</boolean>`
      : typeof p === 'number'
        ? `<int>${p}</int>`
        : `<string>${escape(String(p))}</string>`;
  const ps = params.map((p) => `<param><value>${value(p)}</value></param>`).join('');
  return `<?xml version="1.0"?><methodCall><methodName>${method}</methodName><params>${ps}</params></methodCall>`;
}

/** The value of a methodResponse; a fault is thrown as an Error with its faultString. */
export function decodeResponse(xml) {
  const tokens = xml.match(/<[^>]+>|[^<]+/g) ?? [];
  let i = 0;
  const skipSpace = () => {
    while (i < tokens.length && !tokens[i].startsWith('<') && tokens[i].trim() === '') i += 1;
  };
  const expect = (tag) => {
    skipSpace();
    if (tokens[i] !== tag) throw new Error(`xml-rpc: expected ${tag}, found ${tokens[i]}`);
    i += 1;
  };
  const text = (close) => {
    let s = '';
    while (tokens[i] !== close) {
      if (i >= tokens.length) throw new Error(`xml-rpc: unterminated, expected ${close}`);
      s += tokens[i];
      i += 1;
    }
    i += 1;
    return unescape(s);
  };
  const value = () => {
    expect('<value>');
    skipSpace();
    const tag = tokens[i];
    let v;
    if (tag === '</value>') {
      v = ''; // an untyped empty value is a string
    } else if (!tag.startsWith('<')) {
      v = text('</value>'); // untyped text is a string
      return v;
    } else if (tag === '<string/>') {
      i += 1;
      v = '';
    } else if (tag === '<int>' || tag === '<i4>' || tag === '<double>') {
      i += 1;
      v = Number(text(`</${tag.slice(1)}`));
    } else if (tag === '<boolean>') {
      i += 1;
      v = text('</boolean>') === '1';
    } else if (tag === '<string>') {
      i += 1;
      v = text('</string>');
    } else if (tag === '<array>') {
      i += 1;
      expect('<data>');
      v = [];
      for (skipSpace(); tokens[i] === '<value>'; skipSpace()) v.push(value());
      expect('</data>');
      expect('</array>');
    } else if (tag === '<struct>') {
      i += 1;
      v = {};
      for (skipSpace(); tokens[i] === '<member>'; skipSpace()) {
        i += 1;
        expect('<name>');
        const name = text('</name>');
        v[name] = value();
        expect('</member>');
      }
      expect('</struct>');
    } else {
      throw new Error(`xml-rpc: unsupported value ${tag}`);
    }
    expect('</value>');
    return v;
  };
  while (i < tokens.length && tokens[i] !== '<params>' && tokens[i] !== '<fault>') i += 1;
  if (tokens[i] === '<fault>') {
    i += 1;
    const f = value();
    throw new Error(`xml-rpc fault ${f.faultCode}: ${f.faultString}`);
  }
  expect('<params>');
  expect('<param>');
  return value();
}

/** One call over supervisord's unix socket, on a new connection. */
export function callUnix(socketPath, method, params = []) {
  const body = encodeCall(method, params);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        socketPath,
        path: '/RPC2',
        method: 'POST',
        headers: { 'Content-Type': 'text/xml', 'Content-Length': Buffer.byteLength(body) },
      },
      (res) => {
        let xml = '';
        res.setEncoding('utf8');
        res.on('data', (s) => (xml += s));
        res.on('end', () => {
          try {
            resolve(decodeResponse(xml));
          } catch (err) {
            reject(err instanceof Error ? err : new Error(String(err)));
          }
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
