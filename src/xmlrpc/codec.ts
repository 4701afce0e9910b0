import { escapeXml, parseXml, XmlError, type XmlElement } from './xml.js';

/**
 * XML-RPC values (xmlrpc.com/spec, with `<nil/>` as Python's allow_none and Supervisor read
 * it). A JS number is an `<int>` when it is whole and a `<double>` otherwise; `Double` forces a
 * double. Bytes are `<base64>`, a Date is `<dateTime.iso8601>`.
 */
export type XmlRpcValue =
  | string
  | number
  | boolean
  | null
  | Date
  | Buffer
  | Double
  | XmlRpcValue[]
  | { [key: string]: XmlRpcValue };

export class Double {
  constructor(readonly value: number) {}
}

export type MethodCall = { methodName: string; params: XmlRpcValue[] };

/** A request that is not an XML-RPC call: answered with HTTP 400, as Supervisor does. */
export class BadRequestError extends Error {
  override name = 'BadRequestError';
}

/** The method name and params of a `<methodCall>`. */
export function parseMethodCall(body: string): MethodCall {
  let root: XmlElement;
  try {
    root = parseXml(body);
  } catch (error) {
    if (error instanceof XmlError)
      throw new BadRequestError(`not well-formed XML: ${error.message}`);
    throw error;
  }
  if (root.name !== 'methodCall') {
    throw new BadRequestError(`expected <methodCall>, found <${root.name}>`);
  }
  const nameElement = root.children.find((c) => c.name === 'methodName');
  const methodName = nameElement?.text.trim() ?? '';
  if (methodName === '') throw new BadRequestError('no <methodName> in the call');
  const params = root.children.find((c) => c.name === 'params');
  return {
    methodName,
    params: (params?.children ?? []).map((param) => {
      const value = param.name === 'param' ? param.children[0] : undefined;
      if (value === undefined || value.name !== 'value') {
        throw new BadRequestError('expected <param><value>…</value></param>');
      }
      return decodeValue(value);
    }),
  };
}

function decodeValue(value: XmlElement): XmlRpcValue {
  const typed = value.children[0];
  // no type element: a string (whitespace kept)
  if (typed === undefined) return value.text;
  const text = typed.text;
  switch (typed.name) {
    case 'string':
      return text;
    case 'int':
    case 'i4':
    case 'i8': {
      if (!/^\s*[-+]?[0-9]+\s*$/.test(text))
        throw new BadRequestError(`bad <${typed.name}>: ${text}`);
      const n = Number(text);
      if (!Number.isSafeInteger(n)) throw new BadRequestError(`integer out of range: ${text}`);
      return n;
    }
    case 'boolean':
      if (text.trim() === '1') return true;
      if (text.trim() === '0') return false;
      throw new BadRequestError(`bad <boolean>: ${text}`);
    case 'double': {
      const n = Number(text);
      if (text.trim() === '' || !Number.isFinite(n))
        throw new BadRequestError(`bad <double>: ${text}`);
      return new Double(n);
    }
    case 'dateTime.iso8601': {
      const m = /^\s*(\d{4})-?(\d{2})-?(\d{2})T(\d{2}):(\d{2}):(\d{2})\s*$/.exec(text);
      if (m === null) throw new BadRequestError(`bad <dateTime.iso8601>: ${text}`);
      const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [
        number,
        number,
        number,
        number,
        number,
        number,
      ];
      return new Date(Date.UTC(y, mo - 1, d, h, mi, s));
    }
    case 'base64':
      return Buffer.from(text.replace(/\s+/g, ''), 'base64');
    case 'nil':
    case 'ex:nil':
      return null;
    case 'array': {
      const data = typed.children.find((c) => c.name === 'data');
      return (data?.children ?? []).map((v) => {
        if (v.name !== 'value') throw new BadRequestError('expected <value> in <data>');
        return decodeValue(v);
      });
    }
    case 'struct': {
      const members: [string, XmlRpcValue][] = typed.children.map((member) => {
        const name = member.children.find((c) => c.name === 'name');
        const v = member.children.find((c) => c.name === 'value');
        if (member.name !== 'member' || name === undefined || v === undefined) {
          throw new BadRequestError('expected <member><name>…</name><value>…</value></member>');
        }
        return [name.text, decodeValue(v)];
      });
      // fromEntries defines own properties: a member named __proto__ is just a member
      return Object.fromEntries(members);
    }
    default:
      throw new BadRequestError(`unknown XML-RPC type <${typed.name}>`);
  }
}

export function encodeValue(v: XmlRpcValue): string {
  if (v === null) return '<value><nil/></value>';
  if (typeof v === 'string') return `<value><string>${escapeXml(v)}</string></value>`;
  if (typeof v === 'boolean') return `<value><boolean>${v ? 1 : 0}</boolean></value>`;
  if (typeof v === 'number') {
    return Number.isInteger(v)
      ? `<value><int>${v}</int></value>`
      : `<value><double>${Number.isFinite(v) ? v : 0}</double></value>`;
  }
  if (v instanceof Double) return `<value><double>${v.value}</double></value>`;
  if (v instanceof Date) {
    const iso = v
      .toISOString()
      .replace(/\.\d{3}Z$/, '')
      .replace(/-/g, '');
    return `<value><dateTime.iso8601>${iso}</dateTime.iso8601></value>`;
  }
  if (Buffer.isBuffer(v)) return `<value><base64>${v.toString('base64')}</base64></value>`;
  if (Array.isArray(v))
    return `<value><array><data>${v.map(encodeValue).join('')}</data></array></value>`;
  const members = Object.entries(v).map(
    ([k, x]) => `<member><name>${escapeXml(k)}</name>${encodeValue(x)}</member>`,
  );
  return `<value><struct>${members.join('')}</struct></value>`;
}

const HEAD = "<?xml version='1.0'?>\n";

export function encodeResponse(value: XmlRpcValue): string {
  return `${HEAD}<methodResponse><params><param>${encodeValue(value)}</param></params></methodResponse>\n`;
}

export function encodeFault(code: number, text: string): string {
  const fault = encodeValue({ faultCode: code, faultString: text });
  return `${HEAD}<methodResponse><fault>${fault}</fault></methodResponse>\n`;
}
