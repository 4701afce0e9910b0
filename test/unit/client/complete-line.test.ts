import { describe, expect, it } from 'vitest';
import {
  completeLine,
  typedTabs,
  type CompletionSources,
} from '../../../src/client/complete-line.js';

/** The shell's completer without a terminal or a daemon (issue 10: what the word starts with). */

const NAMES = ['all', 'web', 'web:*', 'web:0', 'web:1', 'ticker', 'ticker:*', 'ticker:0'];

const sources: CompletionSources = {
  commands: [
    { name: 'status', options: [] },
    { name: 'restart', options: [{ long: '--no-wait', help: '' }] },
    { name: 'signal', options: [] },
    {
      name: 'tail',
      options: [
        { long: '--stderr', help: '' },
        { long: '--bytes', value: 'N', help: '' },
        { long: '--follow', short: '-f', help: '' },
      ],
    },
    { name: 'reload', options: [] },
    { name: 'help', options: [] },
  ],
  extraFirstWords: ['exit', 'quit'],
  names: () => Promise.resolve(NAMES),
};

describe('completeLine', () => {
  it('completes a command from its first letters, with a space after a single one', async () => {
    expect(await completeLine('re', sources)).toEqual([['reload', 'restart'], 're']);
    expect(await completeLine('sta', sources)).toEqual([['status '], 'sta']);
    expect(await completeLine('ex', sources)).toEqual([['exit '], 'ex']);
  });

  it('offers only the names that start with the word typed (issue 10)', async () => {
    expect(await completeLine('restart web:', sources)).toEqual([
      ['web:*', 'web:0', 'web:1'],
      'web:',
    ]);
    expect(await completeLine('restart web:1 ti', sources)).toEqual([
      ['ticker', 'ticker:*', 'ticker:0'],
      'ti',
    ]);
    expect(await completeLine('status ', sources)).toEqual([NAMES.slice().sort(), '']);
  });

  it("offers the command's flags after a dash, not names (issue 10)", async () => {
    expect(await completeLine('tail ticker -', sources)).toEqual([
      ['--bytes', '--follow', '--help', '--json', '--stderr', '-f'],
      '-',
    ]);
    expect(await completeLine('tail --st', sources)).toEqual([['--stderr '], '--st']);
    expect(await completeLine('restart -', sources)).toEqual([
      ['--help', '--json', '--no-wait'],
      '-',
    ]);
  });

  it("offers nothing for a flag's value, nor for a command without names", async () => {
    let asked = false;
    const counting = { ...sources, names: () => ((asked = true), Promise.resolve(NAMES)) };
    expect(await completeLine('tail --bytes ', counting)).toEqual([[], '']);
    expect(await completeLine('reload ', counting)).toEqual([[], '']);
    expect(await completeLine('nosuch ', counting)).toEqual([[], '']);
    expect(asked).toBe(false);
  });

  it('offers signal names as the first argument of signal, then names', async () => {
    expect(await completeLine('signal US', sources)).toEqual([['USR1', 'USR2'], 'US']);
    expect(await completeLine('signal HUP web:', sources)).toEqual([
      ['web:*', 'web:0', 'web:1'],
      'web:',
    ]);
  });
});

describe('typedTabs', () => {
  it('counts the Tabs readline took as text at the end of the line', () => {
    expect(typedTabs('restart web:')).toBe(0);
    expect(typedTabs('restart web:\t')).toBe(1);
    expect(typedTabs('tail ticker -\t\t')).toBe(2);
    expect(typedTabs('a\tb')).toBe(0);
  });
});
