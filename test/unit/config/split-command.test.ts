import { describe, expect, it } from 'vitest';
import { splitCommand } from '../../../src/config/split-command.js';

describe('splitCommand', () => {
  it.each([
    ['sleep 1000', ['sleep', '1000']],
    ['  python3   -m\thttp.server\n8080 ', ['python3', '-m', 'http.server', '8080']],
    [`sh -c 'echo "$HOME" > /dev/null'`, ['sh', '-c', 'echo "$HOME" > /dev/null']],
    [`echo "a b" 'c d'`, ['echo', 'a b', 'c d']],
    [`echo "say \\"hi\\" \\\\ \\$HOME \\\`x\\\`"`, ['echo', 'say "hi" \\ $HOME `x`']],
    [`echo "a\\nb"`, ['echo', 'a\\nb']], // inside double quotes \n is not an escape
    [`echo 'a\\b'`, ['echo', 'a\\b']], // inside single quotes nothing is
    [`echo a\\ b \\'c\\"`, ['echo', 'a b', `'c"`]],
    [`echo "a"'b'c`, ['echo', 'abc']], // quoted parts join into one word
    [`echo '' ""`, ['echo', '', '']],
    ['echo a\\\nb', ['echo', 'ab']], // backslash-newline is a line continuation
    ['echo $HOME *.txt # not a comment', ['echo', '$HOME', '*.txt', '#', 'not', 'a', 'comment']],
  ])('splits %j', (cmd, argv) => {
    expect(splitCommand(cmd)).toEqual(argv);
  });

  it.each([
    ['', 'empty command'],
    [' \t\n', 'empty command'],
    [`echo 'abc`, 'unterminated single quote (opened at character 6)'],
    [`echo "abc`, 'unterminated double quote (opened at character 6)'],
    [`echo "abc\\"`, 'unterminated double quote (opened at character 6)'],
    ['echo abc\\', 'nothing after the final backslash to escape'],
  ])('refuses %j', (cmd, message) => {
    expect(() => splitCommand(cmd)).toThrow(new Error(message));
  });
});
