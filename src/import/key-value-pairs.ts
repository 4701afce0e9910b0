/**
 * Supervisor's `environment = KEY="val,with,commas",K2=v` (datatypes.py
 * `dict_of_key_value_pairs`): the text is cut into tokens by Python's `shlex.shlex` in its
 * default, non-POSIX mode with `/.+-():` added to the word characters, and read three tokens
 * at a time, `KEY`, `=`, `VALUE`, skipping one token (the comma, or whatever stands there)
 * between pairs. Quotes are kept on a token and then stripped from its ends, so `"a,b"` is
 * `a,b`; a quote inside a word is part of it; `#` starts a comment to the end of the line.
 */

const WORD = /[A-Za-z0-9_/.+\-():]/;
const BLANK = ' \t\r\n';

/** The tokens of `text` as `list(shlex.shlex(text))` gives them. */
export function shlexTokens(text: string): string[] | { error: string } {
  const tokens: string[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (BLANK.includes(c)) {
      i++;
    } else if (c === '#') {
      const nl = text.indexOf('\n', i);
      i = nl === -1 ? text.length : nl + 1;
    } else if (WORD.test(c)) {
      // a word goes on through word characters and quotes (non-POSIX mode: no quoting inside);
      // a `#` in it skips the rest of the line, and the word goes on on the next one
      let word = '';
      while (i < text.length && !BLANK.includes(text[i]!)) {
        const d = text[i]!;
        if (d === '#') {
          const nl = text.indexOf('\n', i);
          i = nl === -1 ? text.length : nl + 1;
        } else if (WORD.test(d) || d === '"' || d === "'") {
          word += d;
          i++;
        } else {
          break;
        }
      }
      tokens.push(word);
    } else if (c === '"' || c === "'") {
      const end = text.indexOf(c, i + 1);
      if (end === -1) return { error: 'a quote is not closed' };
      tokens.push(text.slice(i, end + 1));
      i = end + 1;
    } else {
      tokens.push(c);
      i++;
    }
  }
  return tokens;
}

/** The variables of an `environment` value, in order; later ones replace earlier ones. */
export function keyValuePairs(text: string): Map<string, string> | { error: string } {
  const tokens = shlexTokens(text);
  if (!Array.isArray(tokens)) return tokens;
  const pairs = new Map<string, string>();
  for (let i = 0; i < tokens.length; i += 4) {
    const [key, eq, value] = tokens.slice(i, i + 3);
    if (key === undefined || eq !== '=' || value === undefined) {
      return {
        error: `expected KEY=value pairs separated by commas, found ${JSON.stringify(text)}`,
      };
    }
    pairs.set(key, value.replace(/^['"]+|['"]+$/g, ''));
  }
  return pairs;
}
