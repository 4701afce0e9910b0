import { describe, expect, it } from 'vitest';
import { decodeResponse, encodeCall } from '../../../../bench/peers/xmlrpc.mjs';

// Replies as supervisord 4.2.5 writes them (values indented over lines, untyped empty strings)
const reply = (value: string) =>
  `<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n${value}\n</param>\n</params>\n</methodResponse>\n`;

describe('bench:peers xml-rpc', () => {
  it('encodes a call with escaped strings and booleans', () => {
    expect(encodeCall('supervisor.startProcess', ['a<b&c', false])).toBe(
      '<?xml version="1.0"?><methodCall><methodName>supervisor.startProcess</methodName><params>' +
        '<param><value><string>a&lt;b&amp;c</string></value></param>' +
        '<param><value><boolean>0</boolean></value></param></params></methodCall>',
    );
  });

  it('decodes arrays of structs of ints, strings and booleans', () => {
    const xml = reply(`<value><array><data>
<value><struct>
<member>
<name>name</name>
<value><string>sleep_0</string></value>
</member>
<member>
<name>pid</name>
<value><int>6240</int></value>
</member>
<member>
<name>spawnerr</name>
<value><string></string></value>
</member>
<member>
<name>desc</name>
<value>a &amp; b</value>
</member>
<member>
<name>ok</name>
<value><boolean>1</boolean></value>
</member>
</struct></value>
</data></array></value>`);
    expect(decodeResponse(xml)).toEqual([
      { name: 'sleep_0', pid: 6240, spawnerr: '', desc: 'a & b', ok: true },
    ]);
  });

  it('throws a fault with its string', () => {
    const xml = `<?xml version='1.0'?>
<methodResponse>
<fault>
<value><struct>
<member>
<name>faultCode</name>
<value><int>10</int></value>
</member>
<member>
<name>faultString</name>
<value><string>BAD_NAME: nope</string></value>
</member>
</struct></value>
</fault>
</methodResponse>`;
    expect(() => decodeResponse(xml)).toThrow('xml-rpc fault 10: BAD_NAME: nope');
  });
});
