/**
 * Splits a command line into argv the way a POSIX shell splits words, and no further: no variable
 * expansion, no globbing, no comments (`#` is an ordinary character, as in Supervisor's shlex).
 * The result is exec'd directly, so quoting is the only way to put a space inside an argument.
 */
export function splitCommand(cmd: string): string[] {
  const words: string[] = [];
  let word = '';
  // A word can be empty yet present (`''`), so "inside a word" is tracked apart from its text.
  let isInWord = false;
  let i = 0;
  while (i < cmd.length) {
    const c = cmd[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      if (isInWord) words.push(word);
      word = '';
      isInWord = false;
      i += 1;
      continue;
    }
    isInWord = true;
    if (c === "'") {
      const end = cmd.indexOf("'", i + 1);
      if (end === -1) throw new Error(`unterminated single quote (opened at character ${i + 1})`);
      word += cmd.slice(i + 1, end);
      i = end + 1;
    } else if (c === '"') {
      const [text, end] = readDoubleQuoted(cmd, i);
      word += text;
      i = end + 1;
    } else if (c === '\\') {
      const next = cmd[i + 1];
      if (next === undefined) throw new Error('nothing after the final backslash to escape');
      // backslash-newline is a line continuation in sh: both characters vanish
      if (next !== '\n') word += next;
      i += 2;
    } else {
      word += c;
      i += 1;
    }
  }
  if (isInWord) words.push(word);
  if (words.length === 0) throw new Error('empty command');
  return words;
}

/** The text of the double-quoted string opening at `start`, and the index of its closing quote. */
function readDoubleQuoted(cmd: string, start: number): [string, number] {
  let text = '';
  for (let i = start + 1; i < cmd.length; i++) {
    const c = cmd[i]!;
    if (c === '"') return [text, i];
    const next = cmd[i + 1];
    // inside double quotes a backslash escapes only these; before anything else it is literal
    if (c === '\\' && next !== undefined && '"\\$`'.includes(next)) {
      text += next;
      i += 1;
    } else {
      text += c;
    }
  }
  throw new Error(`unterminated double quote (opened at character ${start + 1})`);
}
