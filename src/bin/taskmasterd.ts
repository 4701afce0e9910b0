#!/usr/bin/env node
import { setFlagsFromString } from 'node:v8';

// V8's young generation starts at 1 MiB a half and doubles, up to 16, whenever much of it
// survives a scavenge, as the actors of hundreds of instances do while they are created at
// start; it never shrinks back, and both halves are touched: 30 MiB of RSS kept for good,
// a third of the daemon's memory with 500 instances. Growth is read at each resize, so it can be
// turned off here, before the daemon is loaded (`--max-semi-space-size` is read only at heap
// setup, too late from here). The cost is more, smaller scavenges; bench/daemon.mjs measures both.
setFlagsFromString('--semi-space-growth-factor=1');
// No optimising compiler (the interpreter and the baseline compiler stay): the daemon's work is
// forks, syscalls and SQLite, and what TurboFan compiles for it costs more than it returns.
// Measured on a start of 500 instances: 2.7 s of CPU instead of 3.4, and 13 MiB less RSS
// (its code and zones, and the pages of node's binary it runs from), which also makes each
// fork cheaper, since fork copies the page tables of all of it.
setFlagsFromString('--no-opt');

const { runDaemon } = await import('../daemon/run.js');
const { VERSION } = await import('../domain/version.js');
// exit explicitly: once every instance is stopped nothing of the daemon should linger
process.exit(await runDaemon(process.argv.slice(2), VERSION));
