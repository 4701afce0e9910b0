import { describe, expect, it } from 'vitest';
import {
  checkTemplate,
  parseTemplate,
  renderTemplate,
  type NameKind,
  type Template,
} from '../../../src/config/expand.js';

const VALUES: Record<string, string | number> = { n: 7, zero: 0, s: 'web' };
const KINDS: Record<string, NameKind> = { n: 'number', zero: 'number', s: 'text' };

function template(text: string): Template {
  const t = parseTemplate(text);
  if ('message' in t) throw new Error(t.message);
  return t;
}

function render(text: string): string {
  return renderTemplate(template(text), (name) => VALUES[name]!);
}

function check(text: string) {
  return checkTemplate(
    template(text),
    (name) => KINDS[name],
    () => Object.keys(KINDS).concat('process_num', 'ENV_HOME'),
    () => 'the known names',
  );
}

describe('expansions, as Python formats them for Supervisor', () => {
  // each expected value is what python3 prints for `text % {'n': 7, 'zero': 0, 's': 'web'}`
  it.each([
    ['%(n)d', '7'],
    ['80%(n)02d', '8007'],
    ['%(n)3d|', '  7|'],
    ['%(n)-3d|', '7  |'],
    ['%(n)05.3d', '00007'],
    ['%(n).3d', '007'],
    ['%(n)5.3d', '  007'],
    ['%(n)-05d|', '7    |'],
    ['%(n)0-5d|', '7    |'],
    ['%(n)+d', '+7'],
    ['%(n) d', ' 7'],
    ['%(n)+ d', '+7'],
    ['%(n)-+5d|', '+7   |'],
    ['%(n)#d', '7'],
    ['%(n)00003d', '007'],
    ['%(n)ld %(n)i %(n)u', '7 7 7'],
    ['%(zero).0d', '0'],
    ['%(n)s', '7'],
    ['%(n)05s', '    7'],
    ['%(s)s', 'web'],
    ['%(s)5s', '  web'],
    ['%(s)05s', '  web'],
    ['%(s)-5s|', 'web  |'],
    ['%(s).2s', 'we'],
    ['%(s)#s', 'web'],
    ['100%% %(s)s%%', '100% web%'],
    ['no expansion at all', 'no expansion at all'],
  ])('%s gives %j', (text, expected) => {
    expect(check(text)).toBeNull();
    expect(render(text)).toBe(expected);
  });

  it('counts widths in characters, not UTF-16 units', () => {
    expect(renderTemplate(template('%(s)3s|'), () => '🙂')).toBe('  🙂|');
  });

  it.each([
    ['100%', 'a "%" at character 4 is not followed by "(name)" or "%"'],
    ['%s', 'a "%" at character 1 is not followed by "(name)" or "%"'],
    ['x %d', 'a "%" at character 3 is not followed by "(name)" or "%"'],
    ['%(s', 'the "%(" at character 1 has no closing ")"'],
    ['%(s)', '%(s) has no conversion'],
    ['%(s)5', '%(s)5 has no conversion'],
    ['%(s)r', '%(s)r: the conversion "r" is not supported'],
    ['%(n)x', '%(n)x: the conversion "x" is not supported'],
    ['%(s)z', '%(s)z: "z" is not a conversion'],
    ['%(s)*d', '%(s)*: "*" is not a conversion'],
    ['%(n)%', '%(n)%: "%" is not a conversion'],
    ['%(n)1001d', '%(n)1001d: a width or precision over 1000'],
  ])('refuses %j', (text, message) => {
    const t = parseTemplate(text);
    expect('message' in t && t.message).toBe(message);
  });

  it('names a name it does not know, with a did-you-mean in the same format', () => {
    expect(check('80%(process_nun)02d')).toEqual({
      message: 'unknown expansion %(process_nun)02d',
      hint: 'did you mean %(process_num)02d?',
    });
    expect(check('%(HOME)s')?.hint).toBe('did you mean %(ENV_HOME)s?');
    expect(check('%(S)s')?.hint).toBe('did you mean %(s)s?');
    expect(check('%(nothing_like_it)s')).toEqual({
      message: 'unknown expansion %(nothing_like_it)s',
      hint: 'the known names',
    });
  });

  it('refuses d on text, as Python does', () => {
    expect(check('%(s)03d')).toEqual({
      message: '%(s)03d: d formats a number, and s is text',
      hint: 'write %(s)03s',
    });
  });
});
