#!/usr/bin/env node
// Bundles tm (src/bin/tm.ts) with esbuild into dist/src/bin/tm.js, over the file tsc wrote there,
// so that the `tm` of package.json's bin and every path to it stay the same. Run by `npm run
// build`, after tsc. Why a bundle: Node resolves, reads and compiles each ES module of a tree on
// its own, and that, for tm's ~40 modules and its dependencies, cost more than all the rest of a
// `tm status` (BENCHMARKS.md, "tm latency"). The code only some commands need is split into
// chunks loaded on demand (dist/src/bin/tm-lazy/): the connection (msgpack, the token), the YAML
// reader (only for a server section of an unusual shape) and the interactive shell.
import { rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = join(root, 'dist/src/bin');
const chunks = 'tm-lazy';
/** The daemon's packages: a client that loads one of them pays for it at every command. */
const DAEMON_ONLY = ['xstate', 'rxjs', 'better-sqlite3', 'nodemailer', 'msgpackr-extract'];

/**
 * msgpackr's Node entry loads its native string extractor (msgpackr-extract, found through
 * node-gyp-build): about 20 ms at every start, to speed up strings tm decodes in microseconds.
 * The package's plain entry (index.js, its build for other platforms) has the same Packr.
 */
const msgpackrWithoutNative = {
  name: 'msgpackr-without-native',
  setup(b) {
    b.onResolve({ filter: /^msgpackr$/ }, async (args) => {
      if (args.pluginData === 'inner') return undefined;
      const node = await b.resolve('msgpackr', {
        kind: args.kind,
        resolveDir: args.resolveDir,
        pluginData: 'inner',
      });
      if (node.errors.length > 0) return { errors: node.errors };
      if (basename(node.path) !== 'node-index.js') {
        return {
          errors: [{ text: `msgpackr's Node entry is now ${node.path}: check this plugin` }],
        };
      }
      return { path: join(dirname(node.path), 'index.js') };
    });
  },
};

rmSync(join(outdir, chunks), { recursive: true, force: true });
const result = await build({
  absWorkingDir: root,
  entryPoints: { tm: 'src/bin/tm.ts' },
  outdir,
  bundle: true,
  splitting: true,
  chunkNames: `${chunks}/[name]-[hash]`,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  // the yaml package is CommonJS and requires Node's modules: an ES module has no require
  banner: {
    js: "import { createRequire as tmCreateRequire } from 'node:module'; const require = tmCreateRequire(import.meta.url);",
  },
  plugins: [msgpackrWithoutNative],
  metafile: true,
  logLevel: 'warning',
});

const bundled = Object.keys(result.metafile.inputs);
const strays = DAEMON_ONLY.filter((p) => bundled.some((i) => i.includes(`node_modules/${p}/`)));
if (strays.length > 0) {
  console.error(`bundle-tm: tm must not load ${strays.join(', ')}: see what imports it`);
  process.exit(1);
}
