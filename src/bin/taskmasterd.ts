#!/usr/bin/env node
import { runDaemon } from '../daemon/run.js';
import { VERSION } from '../domain/version.js';

// exit explicitly: once every instance is stopped nothing of the daemon should linger
process.exit(await runDaemon(process.argv.slice(2), VERSION));
