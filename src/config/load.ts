import {
  isMap,
  isScalar,
  LineCounter,
  parseDocument,
  type Document,
  type ParsedNode,
  type YAMLError,
} from 'yaml';
import { ConfigError, type ConfigProblem } from '../domain/errors.js';
import { cutServerSection, MAX_CONFIG_BYTES, readConfigText } from './config-text.js';
import { indexDocument } from './index-document.js';
import type { Config, ServerSection } from './types.js';
import { validateDocument, validateServerSection } from './validate.js';

export { MAX_CONFIG_BYTES };

/** Reads and validates a config file; a ConfigError carries every problem the file has. */
export function loadConfig(file: string): Config {
  return parseConfigText(readConfigText(file), file);
}

/**
 * Only the `server` section of a config file (what tm needs to reach the daemon), checked alone:
 * problems elsewhere in the file are left for the daemon to report. The section is cut out of
 * the text by its lines and parsed alone, so tm's cost does not grow with the programs section;
 * a file of an unusual shape (see cutServerSection) is parsed whole instead, and then a YAML
 * syntax error is reported only when it may have changed what the server section says (it lies
 * inside it, or the section cannot be found at all).
 */
export function loadServerSection(file: string): ServerSection {
  const text = readConfigText(file);
  const cut = cutServerSection(text);
  if (cut === 'absent') return validateServerSection(parse('', file).source);
  if (cut !== null) {
    const lines = parse(cut.text, file, cut.firstLine - 1);
    if (lines.errors.length > 0) throw new ConfigError(lines.errors);
    // an alias to an anchor outside the section: only the whole file can resolve it
    if (!indexDocument(lines.source.doc.contents).hasUnknownAliases)
      return validateServerSection(lines.source);
  }
  const whole = parse(text, file);
  const range = serverRange(whole.source.doc);
  const relevant = whole.errors.filter((_, i) => !isOutside(whole.offsets[i]!, range));
  if (relevant.length > 0) throw new ConfigError(relevant);
  return validateServerSection(whole.source);
}

/** The Config that `text` describes, as if read from `file` (names messages, anchors paths). */
export function parseConfigText(text: string, file: string): Config {
  const { source, errors } = parse(text, file);
  // A document YAML could not parse is only partly built: checking it would add noise, so the
  // syntax errors are reported alone and the rest comes once they are fixed.
  if (errors.length > 0) throw new ConfigError(errors);
  return validateDocument(source);
}

/**
 * Parses `text` as read from `file`, whose line `lineShift + 1` is its first line. Duplicate keys
 * are left to validate.ts (index-document.ts): the yaml package's own check is quadratic.
 */
function parse(text: string, file: string, lineShift = 0) {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: false });
  const lineCounter = {
    linePos(offset: number) {
      const { line, col } = counter.linePos(offset);
      return { line: line + lineShift, col };
    },
  };
  const errors = doc.errors.map((e) => yamlProblem(e, file, lineCounter));
  return { source: { file, doc, lineCounter }, errors, offsets: doc.errors.map((e) => e.pos[0]) };
}

/** Where the `server:` key and its value lie in the text; null when there is no such key. */
function serverRange(doc: Document.Parsed): [number, number] | null {
  const root = doc.contents;
  if (!isMap(root)) return null;
  for (const { key, value } of root.items) {
    const k = key as ParsedNode | null;
    if (isScalar(k) && k.value === 'server') return [k.range[0], value?.range[2] ?? k.range[2]];
  }
  return null;
}

function isOutside(offset: number, range: [number, number] | null): boolean {
  return range !== null && (offset < range[0] || offset >= range[1]);
}

function yamlProblem(
  e: YAMLError,
  file: string,
  lineCounter: Pick<LineCounter, 'linePos'>,
): ConfigProblem {
  const { line, col } = lineCounter.linePos(e.pos[0]);
  return { file, line, col, keyPath: '', message: yamlMessage(e), hint: null };
}

/** The YAML library's message in our style: lower case, no final period, no API advice. */
function yamlMessage(e: YAMLError): string {
  if (e.code === 'MULTIPLE_DOCS') return 'expected one YAML document, found several ("---")';
  const message = e.message.replace(/\.$/, '');
  return message.charAt(0).toLowerCase() + message.slice(1);
}
