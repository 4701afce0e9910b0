import { constants } from 'node:os';
import type { OptionSpec } from './argv.js';

/** What completion needs of a command: its name and its options. */
export type CompletableCommand = { name: string; options: readonly OptionSpec[] };

export type CompletionSources = {
  commands: readonly CompletableCommand[];
  /** Words that are not commands but may start a line (`exit`, `quit`). */
  extraFirstWords: readonly string[];
  /** The instance names to offer; empty when they cannot be had. Called only when needed. */
  names: () => Promise<readonly string[]>;
};

/** readline's completion result: the candidates, and the word they complete. */
export type Completion = [hits: string[], word: string];

/** Commands whose arguments are instance names (completed from the daemon). */
const TAKES_NAMES = new Set(['status', 'start', 'stop', 'restart', 'signal', 'pid', 'log', 'tail']);
/** Options every command takes (the global ones a shell line may carry). */
const COMMON_FLAGS = ['--json', '--help'];
const SIGNALS = Object.keys(constants.signals).map((s) => s.replace(/^SIG/, ''));

/**
 * The candidates for the last word of `line` (the text before the cursor): commands first, then
 * the command's flags after a `-`, signal names as `signal`'s first argument, and instance names
 * for the commands that take them. Only candidates that start with what is typed of the word are
 * offered; a single one is completed with a space after it.
 */
export async function completeLine(line: string, sources: CompletionSources): Promise<Completion> {
  const words = line.split(/\s+/);
  const word = words.at(-1) ?? '';
  const match = (candidates: Iterable<string>): Completion => {
    const hits = [...new Set(candidates)].filter((c) => c.startsWith(word)).sort();
    return [hits.length === 1 ? [`${hits[0]} `] : hits, word];
  };
  if (words.length <= 1) {
    return match([...sources.commands.map((c) => c.name), ...sources.extraFirstWords]);
  }
  const command = sources.commands.find((c) => c.name === words[0]);
  if (command === undefined) return [[], word];
  if (word.startsWith('-')) {
    const flags = command.options.flatMap((o) =>
      o.short === undefined ? [o.long] : [o.long, o.short],
    );
    return match([...flags, ...COMMON_FLAGS]);
  }
  // the word after `--bytes`, `--limit` …: a value, whose candidates nobody can list
  const previous = words.at(-2) ?? '';
  if (command.options.some((o) => o.value !== undefined && [o.long, o.short].includes(previous))) {
    return [[], word];
  }
  if (command.name === 'signal' && words.length === 2) return match(SIGNALS);
  if (command.name === 'help') return match(sources.commands.map((c) => c.name));
  if (!TAKES_NAMES.has(command.name)) return [[], word];
  return match(await sources.names());
}

/**
 * How many Tabs readline put into the line as text at its end. It completes only on the last
 * key of what it reads at once: Tab Tab arriving together (a fast typist over ssh, tmux's
 * send-keys) inserts the first as a tab character and asks to complete `restart web:\t`, whose
 * last word is then empty.
 */
export function typedTabs(line: string): number {
  return line.length - line.replace(/\t+$/, '').length;
}
