import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  CLEAN_STOP,
  program,
  programs,
  Sandbox,
  SERVER_SECTION,
  waitUntil,
  type DaemonProcess,
} from '../helpers/daemon-process.js';
import { runTm, startDaemon } from '../helpers/tm-process.js';

/**
 * Supervisor's expansions and `include`, through the built taskmasterd: what each instance runs
 * is read from /proc, and a reload by SIGHUP reads the fragments again.
 */

function cmdline(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(0, -1);
  } catch {
    return [];
  }
}

/** Sends SIGHUP and returns what the daemon says the reload did, or that it refused it. */
async function reload(d: DaemonProcess): Promise<{ summary: string; lineIndex: number }> {
  const mark = d.mark();
  d.signal('SIGHUP');
  const { match, lineIndex } = await d.waitLine(
    / (?:INFO reload \(revision \d+\): (.*)|ERROR (reload refused), nothing changed:)$/,
    mark,
  );
  return { summary: match[1] ?? match[2]!, lineIndex };
}

describe('expansions', () => {
  it('numprocs 3 with 80%(process_num)02d: three instances, three argv, three output files', async () => {
    const sb = Sandbox.create(
      programs(
        program(
          'web',
          `cmd: "sh -c 'echo I am %(program_name)s:%(process_num)d of %(numprocs)d; exec sleep 80%(process_num)02d'"`,
          'numprocs: 3',
          'stdout: "out/%(program_name)s-%(process_num)d.log"',
        ),
      ),
    );
    mkdirSync(sb.path('out'));
    const { daemon: d, port } = await startDaemon(sb);
    const pids = [
      await d.waitRunning('web:0'),
      await d.waitRunning('web:1'),
      await d.waitRunning('web:2'),
    ];
    for (const [i, pid] of pids.entries()) {
      // sh execs sleep: once it has, /proc shows the expanded argument
      await waitUntil(
        () => cmdline(pid)[1] === `800${i}`,
        `web:${i} (pid ${pid}) to run sleep 800${i}`,
      );
      expect(cmdline(pid)).toEqual(['sleep', `800${i}`]);
      // the echo ran before the exec: its line is in the instance's own file
      expect(readFileSync(sb.path(`out/web-${i}.log`), 'utf8')).toBe(`I am web:${i} of 3\n`);
    }
    // tm tail reads the instance's own file
    const tail = await runTm(sb, ['-c', 'config.yaml', '--port', String(port), 'tail', 'web:2']);
    expect(tail).toMatchObject({ code: 0, stdout: 'I am web:2 of 3\n' });
    expect(await sb.stop(d)).toEqual(CLEAN_STOP);
  });
});

describe('include', () => {
  const MAIN = `include: [conf.d/*.yaml]\n${programs(program('web'))}`;

  it('a file added to conf.d is read by the next reload; a bad one refuses it, naming its file:line:col', async () => {
    const sb = Sandbox.create(MAIN);
    mkdirSync(sb.path('conf.d'));
    const d = await sb.start();
    await d.waitRunning('web:0');
    // nothing matches yet: fine, and said in the log
    expect(d.stderr).toMatch(/ WARN config: include conf\.d\/\*\.yaml: no file matches/);
    const mark = sb.lastSeq();

    writeFileSync(
      sb.path('conf.d/extra.yaml'),
      programs(program('extra')).replace(SERVER_SECTION, ''),
    );
    expect((await reload(d)).summary).toBe('added extra');
    await sb.waitState('extra:0', 'running', mark);

    writeFileSync(
      sb.path('conf.d/bad.yaml'),
      'programs:\n  bad:\n    cmd: x\n    numprocs: many\n',
    );
    const refused = await reload(d);
    expect(refused.summary).toBe('reload refused');
    expect(d.lines[refused.lineIndex + 1]).toBe(
      `${sb.path('conf.d/bad.yaml')}:4:15: programs.bad.numprocs: expected an integer from 1 to 1000, found "many"`,
    );
    expect(sb.history('bad:0')).toEqual([]);

    // a change inside a fragment is a change of the config: its revision is a new one
    writeFileSync(
      sb.path('conf.d/bad.yaml'),
      'programs:\n  bad:\n    cmd: sleep 1000\n    autostart: false\n',
    );
    expect((await reload(d)).summary).toBe('added bad');
    expect(sb.revisions().map((r) => r.summary)).toEqual([
      'start: web',
      'added extra',
      'added bad',
    ]);
    expect(await sb.stop(d)).toEqual(CLEAN_STOP);
  });
});
