import { parseFormat } from './format-string.js';
import { toFixed, toTaskmaster, type Context, type EnvValue, type Scope } from './expansions.js';
import { keyValuePairs } from './key-value-pairs.js';

/**
 * An `environment` value as Supervisor reads it: expanded first, then cut into `KEY=value`
 * pairs. The expansions taskmaster keeps are only known when it runs, so each stands in the
 * text as a placeholder made of word characters while the pairs are cut, and is put back into
 * the values after. (Supervisor cuts the expanded text: a value whose expansion holds a comma
 * or a space is cut there; written in quotes it is not, in both.)
 */
export function parseEnvironment(
  raw: string,
  scope: Scope,
  ctx: Context,
): Map<string, EnvValue> | { error: string } {
  const parts = parseFormat(raw);
  if (!Array.isArray(parts)) return parts;
  let mark = 'TMIMPORTX';
  while (raw.includes(mark)) mark += 'X';
  const fields: string[] = [];
  let text = '';
  for (const part of parts) {
    if ('text' in part) text += part.text;
    else text += `${mark}${fields.push(part.field.raw) - 1}Z`;
  }
  const pairs = keyValuePairs(text);
  if (pairs instanceof Map === false) return pairs;
  const back = new RegExp(`${mark}(\\d+)Z`, 'g');
  // each piece back as Supervisor format text: literal % doubled, the fields as written
  const asFormat = (s: string): string =>
    s
      .split(back)
      .map((piece, i) => (i % 2 === 0 ? piece.replace(/%/g, '%%') : fields[Number(piece)]!))
      .join('');
  const vars = new Map<string, EnvValue>();
  for (const [rawKey, rawValue] of pairs) {
    const key = toFixed(asFormat(rawKey), scope, ctx);
    if ('error' in key) return key;
    const value = toTaskmaster(asFormat(rawValue), scope, ctx);
    if ('error' in value) return value;
    // fixed: the same for every instance and every host, so it can be written in where used
    const format = asFormat(rawValue);
    const fixed = format.includes('%(process_num)') ? null : toFixed(format, scope, ctx);
    const isFixed = fixed !== null && !('error' in fixed) && fixed.notes.length === 0;
    vars.set(key.text, { taskmaster: value.text, fixed: isFixed ? fixed.text : null });
  }
  return vars;
}
