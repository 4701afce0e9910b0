#!/usr/bin/env node
import { join } from 'node:path';
import { cacheDir, runCached } from './code-cache.js';

/** The hash of tm-client.cjs, set by scripts/bundle.mjs: its code cache is named after it. */
declare const TM_CLIENT_HASH: string;

// tm is src/bin/tm-client.ts, bundled as CommonJS beside this file, so that V8 can take the code
// it compiled at an earlier run instead of compiling it again (code-cache.ts)
runCached(
  join(__dirname, 'tm-client.cjs'),
  `tm-${TM_CLIENT_HASH}-${process.versions.v8}`,
  cacheDir(process.env),
);
