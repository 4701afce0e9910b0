import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it, onTestFinished } from 'vitest';
import { fixture } from '../helpers/test-daemon.js';
import { Sandbox, program, programs } from '../helpers/daemon-process.js';
import { TM, startDaemon } from '../helpers/tm-process.js';
import { TmuxSession } from '../helpers/tmux.js';

/**
 * The interactive `tm` (issue 4), driven as a person would: in a real terminal (tmux), keys
 * typed, the screen read. Each test has its own daemon, history file and tmux server.
 */

// tmux drops the blanks at the end of a line: the prompt's last space included
const PROMPT = /tm 127\.0\.0\.1:\d+>$/m;

async function setup(extra = '') {
  const sandbox = Sandbox.create(
    programs(
      program('web', 'numprocs: 2'),
      program('talk', `cmd: ${fixture('echo-on-usr1.sh')}`, 'stdout: talk.out') + extra,
    ),
  );
  const { daemon, port } = await startDaemon(sandbox);
  onTestFinished(async () => {
    if (daemon.isRunning) await sandbox.stop(daemon);
  });
  // the tests read these as running: the order in which they got there is not theirs to assume
  for (const name of ['web:0', 'web:1', 'talk:0']) await daemon.waitRunning(name);
  const history = sandbox.path('history');
  const open = () => {
    const tmux = TmuxSession.start(
      [process.execPath, TM, '-c', 'config.yaml', '--port', String(port)],
      { cwd: sandbox.dir, env: { TM_HISTORY: history, TM_E2E_SANDBOX: sandbox.dir } },
    );
    onTestFinished(() => tmux.kill());
    return tmux;
  };
  const tmux = open();
  await tmux.waitScreen(PROMPT, 'the first prompt');
  return { sandbox, daemon, port, tmux, open, history };
}

function prompts(screen: string): number {
  return screen.match(/tm 127\.0\.0\.1:\d+>/g)?.length ?? 0;
}

/** The last line of the screen that is not blank. */
function lastLine(screen: string): string {
  return screen.trimEnd().split('\n').at(-1) ?? '';
}

describe('the tm shell', () => {
  it('greets, prompts with the daemon it talks to, and runs commands', async () => {
    const { tmux, port, daemon } = await setup();
    expect(tmux.screen()).toContain(
      `taskmaster control shell for taskmasterd at 127.0.0.1:${port}: help lists the commands; exit, quit or Ctrl-D leave`,
    );
    tmux.type('pid');
    tmux.keys('Enter');
    await tmux.waitScreen(new RegExp(`^${daemon.pid}$`, 'm'), 'the daemon pid');
    tmux.type('help start');
    tmux.keys('Enter');
    await tmux.waitScreen(/usage: tm start \[--no-wait\] NAME…/, 'the usage of start');
  });

  it('completes a command, then a program name; a double Tab lists the candidates', async () => {
    const { tmux } = await setup();
    tmux.type('stat');
    tmux.keys('Tab');
    await tmux.waitScreen(/> status$/m, 'status completed');
    tmux.type('we');
    tmux.keys('Tab');
    await tmux.waitScreen(/> status web$/m, 'the common prefix of web, web:*, web:0, web:1');
    tmux.keys('Tab');
    await tmux.waitScreen(/^web\s+web:\*\s+web:0\s+web:1\s*$/m, 'the list of candidates');
    tmux.type(':1');
    tmux.keys('Enter');
    await tmux.waitScreen(/^web:1\s+running\s+pid \d+/m, 'the status of web:1');
  });

  it('completes signal names after signal, and flags', async () => {
    const { tmux } = await setup();
    tmux.type('signal US');
    tmux.keys('Tab');
    await tmux.waitScreen(/> signal USR$/m, 'the common prefix of USR1 and USR2');
    tmux.keys('Tab');
    await tmux.waitScreen(/^USR1\s+USR2\s*$/m, 'the signal names');
    tmux.keys('C-u');
    tmux.type('tail --std');
    tmux.keys('Tab');
    await tmux.waitScreen(/> tail --stderr$/m, 'the --stderr flag');
  });

  // issue 10: two Tabs read at once put the first in the line as text, and every name was listed
  it('a double Tab read at once lists what the word starts with: names, then flags', async () => {
    const { tmux } = await setup();
    tmux.type('restart web:');
    await tmux.waitScreen(/> restart web:$/m, 'the line typed');
    tmux.keys('Tab', 'Tab');
    await tmux.waitScreen(/^web:\*\s+web:0\s+web:1\s*$/m, 'the names of web only');
    // the first Tab is not left in the line: the name typed next is one word with web:
    tmux.type('1');
    tmux.keys('Enter');
    await tmux.waitScreen(/^web:1: restarted$/m, 'web:1 restarted');
    tmux.type('tail talk -');
    await tmux.waitScreen(/> tail talk -$/m, 'the line typed');
    tmux.keys('Tab', 'Tab');
    await tmux.waitScreen(
      /^--bytes\s+--follow\s+--help\s+--json\s+--stderr\s+-f\s*$/m,
      'the flags of tail',
    );
    expect(tmux.screen()).not.toMatch(/^all\s/m);
  });

  it('edits the line with Ctrl-A, and Ctrl-C clears it without leaving', async () => {
    const { tmux } = await setup();
    tmux.type('tatus web:0');
    tmux.keys('C-a');
    tmux.type('s');
    tmux.keys('Enter');
    await tmux.waitScreen(/^web:0\s+running\s+pid \d+/m, 'the status of web:0');
    tmux.type('something I regret');
    tmux.keys('C-c');
    await tmux.waitScreen(/\^C\ntm 127\.0\.0\.1:\d+>$/m, 'a fresh prompt after ^C');
    tmux.keys('Enter');
    // the cleared text was not run: nothing but another prompt
    await tmux.waitScreen(/\^C\n(tm 127\.0\.0\.1:\d+>\n)tm 127\.0\.0\.1:\d+>$/m, 'an empty line');
    expect(tmux.screen()).not.toContain('unknown command');
  });

  it('leaves on Ctrl-D, exit and quit, with status 0', async () => {
    const { tmux, open } = await setup();
    tmux.keys('C-d');
    await tmux.waitScreen(/\[exited 0\]/, 'tm to leave on Ctrl-D');
    for (const word of ['exit', 'quit']) {
      const again = open();
      await again.waitScreen(PROMPT, 'the prompt');
      again.type(word);
      again.keys('Enter');
      await again.waitScreen(/\[exited 0\]/, `tm to leave on ${word}`);
    }
  });

  it('recalls the last session’s commands with Up, without duplicates in a row', async () => {
    const { tmux, open, history } = await setup();
    // one line at a time, each once the one before has been answered with a new prompt
    for (const [i, line] of ['status web:0', 'pid', 'pid'].entries()) {
      tmux.type(line);
      tmux.keys('Enter');
      await tmux.waitScreen((screen) => prompts(screen) === i + 2, `the answer to ${line}`);
    }
    tmux.keys('C-d');
    await tmux.waitScreen(/\[exited 0\]/, 'tm to leave');
    expect(readFileSync(history, 'utf8')).toBe('status web:0\npid\n');
    const second = open();
    await second.waitScreen(PROMPT, 'the prompt of the second session');
    second.keys('Up');
    await second.waitScreen(/> pid$/m, 'pid recalled');
    second.keys('Up');
    await second.waitScreen(/> status web:0$/m, 'status web:0 recalled');
  });

  it('tail -f follows an instance’s output until Ctrl-C, then prompts again', async () => {
    const { tmux, sandbox } = await setup();
    const [talk] = sandbox.processesOf('talk:0');
    tmux.type('tail -f talk:0');
    tmux.keys('Enter');
    await tmux.waitScreen(/> tail -f talk:0\nready\n/, 'what talk:0 wrote so far');
    process.kill(talk!, 'SIGUSR1');
    await tmux.waitScreen(/^line 1$/m, 'the appended line');
    tmux.keys('C-c');
    await tmux.waitScreen(/^line 1\ntm 127\.0\.0\.1:\d+>$/m, 'the prompt after Ctrl-C');
    tmux.type('pid talk:0');
    tmux.keys('Enter');
    await tmux.waitScreen(new RegExp(`^${talk}$`, 'm'), 'the shell still works');
  });

  it('log -f follows new events until Ctrl-C', async () => {
    const { tmux } = await setup();
    tmux.type('log -f web:1 --limit 1');
    tmux.keys('Enter');
    await tmux.waitScreen(/web:1 {2}starting -> running {2}\(timeout\)/, 'the newest event');
    tmux.keys('C-c');
    await tmux.waitScreen(/\(timeout\).*\ntm 127\.0\.0\.1:\d+>$/m, 'the prompt after Ctrl-C');
  });

  it('says when the daemon goes away, and reconnects at the next command', async () => {
    const { tmux, sandbox, daemon } = await setup();
    tmux.type('pid');
    tmux.keys('Enter');
    await tmux.waitScreen(new RegExp(`^${daemon.pid}$`, 'm'), 'the daemon pid');
    await sandbox.stop(daemon);
    await tmux.waitScreen(
      /tm: lost the connection to taskmasterd; the next command reconnects/,
      'the shell to notice',
    );
    tmux.type('status');
    tmux.keys('Enter');
    await tmux.waitScreen(
      /tm: cannot reach taskmasterd at 127\.0\.0\.1:\d+: connection refused/,
      'the refusal',
    );
    expect(lastLine(tmux.screen())).toMatch(/tm 127\.0\.0\.1:\d+>$/);
  });
});

describe('tm reading commands from a pipe', () => {
  it('runs each line, without prompt or colour, and exits with the last failure', async () => {
    const sandbox = Sandbox.create(programs(program('web')));
    const { daemon, port } = await startDaemon(sandbox);
    onTestFinished(async () => {
      if (daemon.isRunning) await sandbox.stop(daemon);
    });
    await daemon.waitRunning('web:0');
    const { code, stdout, stderr } = await runScript(
      sandbox,
      port,
      'status\nstop web:0\nbogus\nstatus web\n',
    );
    expect(stdout).toMatch(
      /^web:0 {6}running {3}pid \d+, uptime 0:00:0\d\nweb:0: stopped\nweb:0 {6}stopped /,
    );
    expect(stdout).not.toContain('tm 127');
    // no colour: no escape sequence at all
    expect(stdout).not.toContain('\u001b[');
    expect(stderr).toBe('tm: unknown command: bogus\nhint: tm help lists the commands\n');
    expect(code).toBe(2);
    expect(existsSync(sandbox.path('history'))).toBe(false);
  });
});

function runScript(
  sandbox: Sandbox,
  port: number,
  script: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [TM, '-c', 'config.yaml', '--port', String(port)], {
    cwd: sandbox.dir,
    env: { ...process.env, TM_HISTORY: sandbox.path('history'), TM_E2E_SANDBOX: sandbox.dir },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  onTestFinished(() => void child.kill('SIGKILL'));
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  child.stdin.end(script);
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}
