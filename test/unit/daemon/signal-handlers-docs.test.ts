import { readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { describe, expect, it } from 'vitest';
import { IGNORED_SIGNALS, SHUTDOWN_SIGNALS } from '../../../src/daemon/signal-handlers.js';

/** docs/signals.md tells operators what each signal does: it and the code must agree. */

const doc = readFileSync(new URL('../../../docs/signals.md', import.meta.url), 'utf8');

/** The table's rows: the signals of the first cell (each name, aliases apart), the second cell. */
function rows(): { names: string[]; aliases: string[]; action: string }[] {
  const section = doc.split('## What taskmasterd does on each signal')[1]!.split('\n## ')[0]!;
  return section
    .split('\n')
    .filter((l) => l.startsWith('| `SIG'))
    .map((l) => {
      const [first, action] = l
        .split('|')
        .slice(1, 3)
        .map((c) => c.trim());
      const names = (s: string) => [...s.matchAll(/`(SIG\w+)`/g)].map((m) => m[1]!);
      const alias = /\(also called (.*)\)/.exec(first!)?.[1] ?? '';
      return {
        names: names(first!.replace(/\(also called .*\)/, '')),
        aliases: names(alias),
        action: action!,
      };
    });
}

describe('docs/signals.md', () => {
  it('has a row for every signal of this platform, once', () => {
    const documented = rows().flatMap((r) => [...r.names, ...r.aliases]);
    expect([...documented].sort()).toEqual(Object.keys(constants.signals).sort());
    expect(new Set(documented).size).toBe(documented.length);
  });

  it('lists as logged and ignored exactly the signals the daemon ignores', () => {
    const ignored = rows()
      .filter((r) => r.action.startsWith('logged and ignored'))
      .flatMap((r) => r.names);
    expect(ignored.sort()).toEqual([...IGNORED_SIGNALS].sort());
  });

  it('lists as a shutdown exactly the signals that shut the daemon down', () => {
    const shutdown = rows()
      .filter((r) => r.action.startsWith('shuts down'))
      .flatMap((r) => r.names);
    expect(shutdown.sort()).toEqual([...SHUTDOWN_SIGNALS].sort());
  });

  it('gives aliases the numbers of their names', () => {
    for (const r of rows()) {
      for (const alias of r.aliases) {
        const n = constants.signals as Record<string, number>;
        expect(n[alias]).toBe(n[r.names[0]!]);
      }
    }
  });
});
