import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { formatField, parseFormat } from '../../../src/import/format-string.js';
import { emptyIni, readIni } from '../../../src/import/ini.js';
import { keyValuePairs } from '../../../src/import/key-value-pairs.js';
import { HAS_SUPERVISOR } from './supervisor-oracle.js';

/**
 * The readers of tm import against the Python they copy, on the same inputs: configparser as
 * Supervisor sets it up, Supervisor's `dict_of_key_value_pairs`, and Python's `%` formatting.
 * Each case goes through Python once, all in one run.
 */

const INI = [
  '[a]\nkey = value ; comment\nk2 = v;not a comment\n',
  '[a]\nkey = one # two ; three\n',
  '[a]\nkey = x#y ;z #w\n',
  '[a]\ncommand = first\n  second\n\n  third\n; comment\n  fourth\n\n[b]\n',
  '[a]\nKey: v1\nkey = v2\n[a]\nother=3\n',
  '[DEFAULT]\nd = 1\n[a]\n[b]\nd = 2\n',
  '# top\n; top too\n[ spaced ]\n  indented = yes\nempty =\n',
  '[a]\nurl = http://x:1/y\nk:v=w\n',
];

const ENV = [
  'A=1,B=2',
  'A="x,y",B=\'q\',C=plain',
  'A="with space",B=2',
  'PATH="/opt/bin:/usr/bin",HOME=/home/x',
  'A=1;B=2',
  'A=1,B',
  'A="unclosed',
  'A=a"b,c"',
  'A=x#comment\n,B=2',
  'A=,B=2',
  'K-1=v.1+x',
];

const FORMATS: [string, Record<string, string | number>][] = [
  ['%(n)02d|%(n)3d|%(n)-3d|%(n)x|%(n)#o|%(n)+d|%(n).3d', { n: 7 }],
  ['%(s)s|%(s)8s|%(s)-8s|%(s).2s|100%%', { s: 'web' }],
  ['%(n)05.2f', { n: 3 }],
];

function python(script: string, input: unknown): unknown {
  const r = spawnSync('/usr/bin/python3', ['-c', script], {
    input: JSON.stringify(input),
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
}

const PY_INI = `
import configparser, json, sys
out = []
for text in json.load(sys.stdin):
    p = configparser.RawConfigParser(inline_comment_prefixes=(';', '#'), strict=False)
    p.read_string(text)
    out.append({s: dict(p.items(s)) for s in p.sections()})
print(json.dumps(out))
`;

const PY_ENV = `
import json, sys
sys.path.insert(0, '/usr/lib/python3/dist-packages')
from supervisor.datatypes import dict_of_key_value_pairs
out = []
for text in json.load(sys.stdin):
    try:
        out.append(dict_of_key_value_pairs(text))
    except ValueError:
        out.append(None)
print(json.dumps(out))
`;

const PY_FORMAT = `
import json, sys
print(json.dumps([text % values for text, values in json.load(sys.stdin)]))
`;

describe.skipIf(!HAS_SUPERVISOR)('tm import reads as Python does', () => {
  it('INI: comments, continuation lines, key case, repeated sections, [DEFAULT]', () => {
    const expected = python(PY_INI, INI);
    const ours = INI.map((text) => {
      const doc = emptyIni();
      expect(readIni(doc, text, 'x.conf')).toEqual([]);
      return Object.fromEntries(
        [...doc.sections.values()].map((s) => [
          s.name,
          Object.fromEntries(
            [...new Set([...s.options.keys(), ...doc.defaults.keys()])].map((k) => [
              k,
              (s.options.get(k) ?? doc.defaults.get(k))!.value,
            ]),
          ),
        ]),
      );
    });
    expect(ours).toEqual(expected);
  });

  it("environment: Supervisor's KEY=value pairs, quotes and all", () => {
    const expected = python(PY_ENV, ENV);
    const ours = ENV.map((text) => {
      const pairs = keyValuePairs(text);
      return pairs instanceof Map ? Object.fromEntries(pairs) : null;
    });
    expect(ours).toEqual(expected);
  });

  it("%(name)s fields: Python's flags, widths and precisions", () => {
    const expected = python(PY_FORMAT, FORMATS);
    const ours = FORMATS.map(([text, values]) => {
      const parts = parseFormat(text);
      if (!Array.isArray(parts)) throw new Error(parts.error);
      return parts
        .map((p) => {
          if ('text' in p) return p.text;
          const r = formatField(p.field, values[p.field.name]!);
          if ('error' in r) throw new Error(r.error);
          return r.text;
        })
        .join('');
    });
    expect(ours).toEqual(expected);
  });
});
