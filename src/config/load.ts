import { readFileSync } from 'node:fs';
import {
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  type Document,
  type ParsedNode,
  type YAMLError,
} from 'yaml';
import { ConfigError, type ConfigProblem } from '../domain/errors.js';
import type { Config, ServerSection } from './types.js';
import { validateDocument, validateServerSection } from './validate.js';

/** Reads and validates a config file; a ConfigError carries every problem the file has. */
export function loadConfig(file: string): Config {
  return parseConfigText(readConfigText(file), file);
}

/**
 * Only the `server` section of a config file (what tm needs to reach the daemon), checked alone:
 * problems elsewhere in the file are left for the daemon to report. A YAML syntax error is
 * reported only when it may have changed what the server section says (it lies inside it, or
 * the section cannot be found at all).
 */
export function loadServerSection(file: string): ServerSection {
  const lineCounter = new LineCounter();
  const doc = parseDocument(readConfigText(file), { lineCounter, prettyErrors: false });
  const relevant = doc.errors.filter((e) => !isOutside(e.pos[0], serverRange(doc)));
  if (relevant.length > 0) {
    throw new ConfigError(relevant.map((e) => yamlProblem(e, file, doc, lineCounter)));
  }
  return validateServerSection({ file, doc, lineCounter });
}

function readConfigText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const message = `cannot read the config file: ${readError(err)}`;
    throw new ConfigError([{ file, line: 1, col: 1, keyPath: '', message, hint: null }]);
  }
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

/** The Config that `text` describes, as if read from `file` (names messages, anchors paths). */
export function parseConfigText(text: string, file: string): Config {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  // A document YAML could not parse is only partly built: checking it would add noise, so the
  // syntax errors are reported alone and the rest comes once they are fixed.
  if (doc.errors.length > 0) {
    throw new ConfigError(doc.errors.map((e) => yamlProblem(e, file, doc, lineCounter)));
  }
  return validateDocument({ file, doc, lineCounter });
}

function readError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'EISDIR') return 'it is a folder';
  return err instanceof Error ? err.message : String(err);
}

function yamlProblem(
  e: YAMLError,
  file: string,
  doc: Document.Parsed,
  lineCounter: LineCounter,
): ConfigProblem {
  const { line, col } = lineCounter.linePos(e.pos[0]);
  // Only a duplicate key leaves the tree whole enough for its path to mean something.
  const keyPath = e.code === 'DUPLICATE_KEY' ? keyPathAt(doc.contents, e.pos[0]) : '';
  return { file, line, col, keyPath, message: yamlMessage(e), hint: null };
}

/** The YAML library's message in our style: lower case, no final period, no API advice. */
function yamlMessage(e: YAMLError): string {
  if (e.code === 'MULTIPLE_DOCS') return 'expected one YAML document, found several ("---")';
  if (e.code === 'DUPLICATE_KEY') return 'this key is given twice';
  const message = e.message.replace(/\.$/, '');
  return message.charAt(0).toLowerCase() + message.slice(1);
}

/** The key path of the deepest key or item whose node holds `offset`, as far as it was parsed. */
function keyPathAt(node: ParsedNode | null, offset: number, keyPath = ''): string {
  if (isMap(node)) {
    for (const { key, value: v } of node.items) {
      const k = key as ParsedNode | null;
      const end = v?.range[2] ?? k?.range[2] ?? -1;
      if (k === null || offset < k.range[0] || offset >= end) continue;
      const name = isScalar(k) ? String(k.value) : '?';
      const here = keyPath === '' ? name : `${keyPath}.${name}`;
      return offset < k.range[2] ? here : keyPathAt(v, offset, here);
    }
  }
  if (isSeq(node)) {
    for (const [i, item] of node.items.entries()) {
      const n = item as ParsedNode | null;
      if (n !== null && offset >= n.range[0] && offset < n.range[2]) {
        return keyPathAt(n, offset, `${keyPath}[${i}]`);
      }
    }
  }
  return keyPath;
}
