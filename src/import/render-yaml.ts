import { Document, isMap, isScalar, type YAMLMap } from 'yaml';
import { shortPath, type Note } from './notes.js';
import type { Entry, Output } from './output.js';

const WIDTH = 96;

/** What holds for every converted program (docs/supervisor.md has the whole comparison). */
const DIFFERENCES = [
  'What differs from Supervisor for every program (docs/supervisor.md has the rest):',
  '- instances are named PROGRAM:N, N from 0, also when numprocs is 1 (web:0);',
  "- a relative path is taken from this file's folder, and a program without workingdir runs there (Supervisor: supervisord's working directory);",
  "- the stop signal and SIGKILL go to the instance's whole process group (Supervisor's stopasgroup and killasgroup);",
  '- a program that keeps crashing is restarted after a growing wait, up to restartdelaymax (30 s by default; 0 restarts at once every time, as Supervisor did);',
  '- programs write their output files themselves; the daemon rotates them by copy and truncate.',
];

/** The YAML text of a converted config, with its comments. */
export function renderYaml(
  output: Output,
  notes: readonly Note[],
  files: readonly string[],
  dir: string,
): string {
  const [main, ...included] = files;
  const header = [
    `taskmaster config written by tm import from ${shortPath(main!, dir)}`,
    ...(included.length > 0
      ? [`and the files its [include] reads: ${included.map((f) => shortPath(f, dir)).join(', ')}`]
      : []),
    '',
    ...DIFFERENCES,
    ...output.header.map((c) => `- ${c}`),
  ];
  const topNotes = notes.filter((n) => n.program === undefined);
  const dropped = topNotes.filter((n) => n.isDropped);
  if (dropped.length > 0) {
    header.push('', 'Not carried over (tm import said so on stderr too):');
    header.push(...dropped.map((n) => `- ${noteText(n, dir)}`));
  }
  const changed = topNotes.filter((n) => !n.isDropped);
  if (changed.length > 0) header.push('', ...changed.map((n) => `- ${noteText(n, dir)}`));

  const doc = new Document({
    daemon: toObject(output.daemon),
    server: toObject(output.server),
    programs: Object.fromEntries(output.programs.map((p) => [p.name, toObject(p.entries)])),
  });
  doc.commentBefore = comment(header);
  const root = doc.contents as YAMLMap;
  decorate(root, 'daemon', output.daemon);
  decorate(root, 'server', output.server);
  const programs = root.get('programs', true) as unknown as YAMLMap;
  if (output.programsComments.length > 0)
    keyOf(root, 'programs').commentBefore = comment(output.programsComments);
  for (const block of output.programs) {
    const own = notes.filter((n) => n.program === block.name);
    const { section, file, line } = block.source;
    const lines = [
      `[${section}] of ${shortPath(file, dir)}:${line}`,
      ...block.comments,
      ...own.filter((n) => !n.isDropped).map((n) => noteText(n, dir, true)),
      ...own.filter((n) => n.isDropped).map((n) => `not carried over: ${noteText(n, dir, true)}`),
    ];
    keyOf(programs, block.name).commentBefore = comment(lines);
    decorate(programs, block.name, block.entries);
  }
  // an empty programs section would be `programs: {}`; the daemon then waits for a reload
  return doc.toString({ lineWidth: 0 });
}

/** `where (file:line): message`; in a program's block, its section is not said again. */
function noteText(n: Note, dir: string, isInBlock = false): string {
  const where = isInBlock ? n.where.replace(/^\[[^\]]*\] /, '') : n.where;
  return `${where} (${shortPath(n.file, dir)}:${n.line}): ${n.message}`;
}

function toObject(entries: readonly Entry[]): Record<string, unknown> {
  return Object.fromEntries(entries.map((e) => [e.key, e.value]));
}

function decorate(parent: YAMLMap, key: string, entries: readonly Entry[]): void {
  const map = parent.get(key, true);
  if (!isMap(map)) return;
  for (const e of entries) {
    if (e.comments.length > 0) keyOf(map, e.key).commentBefore = comment(e.comments);
    const value = map.get(e.key, true);
    if (e.isFlow === true && isMap(value)) value.flow = true;
  }
}

function keyOf(map: YAMLMap, key: string): { commentBefore?: string | null } {
  const pair = map.items.find((p) => isScalar(p.key) && p.key.value === key);
  return pair!.key as { commentBefore?: string | null };
}

/** Comment lines, each wrapped at WIDTH, with a space after the `#` the writer adds. */
function comment(lines: readonly string[]): string {
  return lines
    .flatMap((l) => wrap(l))
    .map((l) => (l === '' ? '' : ` ${l}`))
    .join('\n');
}

function wrap(line: string): string[] {
  if (line.length <= WIDTH) return [line];
  const indent = /^(- |\s*)/.exec(line)![0].length;
  const out: string[] = [];
  let rest = line;
  while (rest.length > WIDTH) {
    const cut = rest.lastIndexOf(' ', WIDTH);
    if (cut <= indent) break;
    out.push(rest.slice(0, cut));
    rest = ' '.repeat(indent) + rest.slice(cut + 1);
  }
  out.push(rest);
  return out;
}
