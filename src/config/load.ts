import {
  isMap,
  isScalar,
  LineCounter,
  parseDocument,
  type Document,
  type ParsedNode,
  type YAMLError,
} from 'yaml';
import * as path from 'node:path';
import { ConfigError, type ConfigProblem } from '../domain/errors.js';
import { cutServerSection, MAX_CONFIG_BYTES, readConfigText, readError } from './config-text.js';
import type { ProgramSpec } from '../domain/types.js';
import { currentInputs, type ExpansionInputs } from './expand-program.js';
import { glob } from './glob.js';
import { indexDocument } from './index-document.js';
import type { Config, IncludedFiles, ServerSection } from './types.js';
import {
  checkConfigDocument,
  checkFragmentDocument,
  validateServerSection,
  type IncludePattern,
  type ProgramPlace,
} from './validate.js';

export { MAX_CONFIG_BYTES };

/**
 * Reads and validates a config file and the files its `include` names; a ConfigError carries
 * every problem they have. Expansions read `inputs` (the daemon's environment and host name).
 */
export function loadConfig(file: string, inputs: ExpansionInputs = currentInputs()): Config {
  return parseConfigText(readConfigText(file), file, inputs);
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

/**
 * The Config that `text` describes, as if read from `file` (names messages, anchors paths),
 * with the programs of the files its `include` names (read from the disk at each call, so a
 * reload sees a new file). A problem in any file refuses the whole config.
 */
export function parseConfigText(
  text: string,
  file: string,
  inputs: ExpansionInputs = currentInputs(),
): Config {
  const { source, errors } = parse(text, file);
  // A document YAML could not parse is only partly built: checking it would add noise, so the
  // syntax errors are reported alone and the rest comes once they are fixed.
  if (errors.length > 0) throw new ConfigError(errors);
  const main = checkConfigDocument(source, inputs);
  const problems = [...main.problems];
  const programs = [...main.value.config.programs];
  const places = new Map(main.places);
  const includes: IncludedFiles[] = [];
  // the main file, or a file two patterns match, is read once
  const seen = new Set([path.resolve(file)]);
  for (const pattern of main.value.include) {
    const matched = matches(pattern, problems);
    const files = matched.map((m) => shownName(file, pattern, m));
    includes.push({ pattern: pattern.pattern, files });
    for (const [i, absolute] of matched.entries()) {
      if (seen.has(absolute)) continue;
      seen.add(absolute);
      const fragment = readFragment(files[i]!, inputs);
      problems.push(...fragment.problems, ...defineOnce(fragment, places));
      programs.push(...fragment.programs);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return { ...main.value.config, programs, includes };
}

/** What `include` found that a user may want to know: a pattern that matches no file. */
export function includeWarnings(config: Config): string[] {
  return config.includes
    .filter((i) => i.files.length === 0)
    .map((i) => `config: include ${i.pattern}: no file matches (nothing added)`);
}

function matches(pattern: IncludePattern, problems: ConfigProblem[]): string[] {
  try {
    return glob(pattern.pattern, pattern.dir);
  } catch (err) {
    const where = (err as NodeJS.ErrnoException).path ?? pattern.dir;
    const message = `cannot look for ${pattern.pattern}: ${readError(err)} (${where})`;
    problems.push({ ...pattern.at, message, hint: 'check the permissions of the folder' });
    return [];
  }
}

/** A matched file named as the user wrote its pattern: relative to the main file's name. */
function shownName(file: string, pattern: IncludePattern, absolute: string): string {
  if (path.isAbsolute(pattern.pattern)) return absolute;
  return path.join(path.dirname(file), path.relative(pattern.dir, absolute));
}

type Fragment = {
  programs: readonly ProgramSpec[];
  places: ReadonlyMap<string, ProgramPlace>;
  problems: readonly ConfigProblem[];
};

function readFragment(file: string, inputs: ExpansionInputs): Fragment {
  const none = { programs: [], places: new Map<string, ProgramPlace>() };
  try {
    const { source, errors } = parse(readConfigText(file), file);
    if (errors.length > 0) return { ...none, problems: errors };
    const checked = checkFragmentDocument(source, inputs);
    return { programs: checked.value, places: checked.places, problems: checked.problems };
  } catch (err) {
    // unreadable, too large, or a key given twice: said alone for this file, like the main one's
    if (err instanceof ConfigError) return { ...none, problems: err.problems };
    throw err;
  }
}

/** A program of a fragment that another file already defines, said at both places. */
function defineOnce(fragment: Fragment, places: Map<string, ProgramPlace>): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const [name, at] of fragment.places) {
    const first = places.get(name);
    if (first === undefined) {
      places.set(name, at);
      continue;
    }
    problems.push({
      ...at,
      keyPath: `programs.${name}`,
      message: `the program ${name} is defined twice: here and at ${first.file}:${first.line}:${first.col}`,
      hint: 'define each program in one file only',
    });
  }
  return problems;
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
