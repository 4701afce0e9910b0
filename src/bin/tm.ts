#!/usr/bin/env node
import { runClient } from '../client/cli.js';
import { VERSION } from '../domain/version.js';

process.exitCode = await runClient(process.argv.slice(2), VERSION);
