#!/usr/bin/env node
// Bundles the two programs with esbuild, in dist/src/bin beside what tsc wrote: taskmasterd.js
// over tsc's file of the same name (package.json's bin and every path to it stay the same), and
// tm as tm.cjs, a launcher, and tm-client.cjs, the client it runs with V8's code cache
// (src/bin/code-cache.ts). Run by `npm run build`, after tsc. Why bundles: Node resolves, reads
// and compiles each module of a tree on its own, and that cost more than all the rest of a `tm
// status` (BENCHMARKS.md, "tm latency"), and most of the daemon's start before it opens its
// event log: rxjs's CommonJS build alone is hundreds of files. What only some of the daemon's
// runs need is split into chunks loaded on demand, in a folder emptied before each build.
import { createHash } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = join(root, 'dist/src/bin');
/** The daemon's packages: a client that loads one of them pays for it at every command. */
const DAEMON_ONLY = ['xstate', 'rxjs', 'better-sqlite3', 'nodemailer', 'msgpackr-extract'];

/**
 * msgpackr's Node entry loads its native string extractor (msgpackr-extract, found through
 * node-gyp-build): 20 to 40 ms of CPU at every start, for tm and the daemon alike. It speeds up
 * decoding only, and only of strings: measured under the daemon's --no-opt, a 130-byte request
 * takes 12 µs instead of 7, a request naming 1000 instances (20 KB) 2.1 ms instead of 0.2. The
 * daemon decodes a frame per command; those microseconds are nowhere near a start's cost, paid
 * while 500 instances wait. The package's plain entry (index.js, its build for other platforms)
 * has the same Packr.
 */
const msgpackrWithoutNative = otherEntry('msgpackr', (path) =>
  basename(path) === 'node-index.js' ? join(dirname(path), 'index.js') : null,
);

/**
 * rxjs's exports give Node its CommonJS build, which esbuild can only include whole (250
 * modules, each wrapped in a function run at start); its ES build (dist/esm, ES2015, the same
 * code) lets the bundle keep only the operators the daemon uses.
 */
const rxjsAsModules = otherEntry('rxjs', (path) => {
  const cjs = join('dist', 'cjs', 'index.js');
  return path.endsWith(cjs) ? join(path.slice(0, -cjs.length), 'dist', 'esm', 'index.js') : null;
});

/**
 * A plugin that bundles another entry of package `name` than the one Node would load: `swap`
 * gets the path Node's resolution finds and returns the file to take instead, or null when that
 * path is not the one expected (the package changed its layout: the build stops and says so).
 */
function otherEntry(name, swap) {
  return {
    name: `${name}-entry`,
    setup(b) {
      b.onResolve({ filter: new RegExp(`^${name}$`) }, async (args) => {
        if (args.pluginData === 'inner') return undefined;
        const node = await b.resolve(name, {
          kind: args.kind,
          resolveDir: args.resolveDir,
          pluginData: 'inner',
        });
        if (node.errors.length > 0) return { errors: node.errors };
        const path = swap(node.path);
        if (path === null) {
          return {
            errors: [{ text: `${name}'s Node entry is now ${node.path}: check this plugin` }],
          };
        }
        return { path };
      });
    },
  };
}

/** What both programs share: one ES module with its chunks beside it, and source maps. */
const common = {
  absWorkingDir: root,
  outdir,
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // maps: with node --enable-source-maps, the daemon's stacks (its log has those of internal
  // errors) point at src/ as they did before the bundles. Not turned on by the daemon itself:
  // that is 80 ms of CPU at start and 4.7 MiB of RSS (its 1.7 MB map parsed and kept), for
  // stacks that a reader can map with the .map file. tm's client runs in a vm.Script, to which
  // Node 20 applies no map: its map is for mapping by hand (code-cache.ts keeps the positions).
  sourcemap: true,
  metafile: true,
  logLevel: 'warning',
};

/** Our chunks that `entry` imports statically (evaluated before its first line), and theirs. */
function chunksBefore(metafile, entry) {
  const chunks = new Set([entry]);
  for (const file of chunks) {
    for (const { path, kind, external } of metafile.outputs[file]?.imports ?? []) {
      if (kind === 'import-statement' && !external) chunks.add(path);
    }
  }
  chunks.delete(entry);
  return chunks;
}

/**
 * Fails the build if `result` contains one of the `forbidden` packages, or if any of its files
 * imports one of the `lazy` ones other than by import().
 */
function check(name, result, { forbidden = [], lazy = [] }) {
  const bundled = Object.keys(result.metafile.inputs);
  const strays = forbidden.filter((p) => bundled.some((i) => i.includes(`node_modules/${p}/`)));
  if (strays.length > 0) fail(name, `must not contain ${strays.join(', ')}: see what imports it`);
  const eager = Object.entries(result.metafile.outputs).flatMap(([file, { imports }]) =>
    imports
      .filter((i) => i.external && i.kind !== 'dynamic-import' && lazy.includes(i.path))
      .map((i) => `${i.path} (${file})`),
  );
  if (eager.length > 0) fail(name, `imports ${eager.join(', ')} as it starts: use import()`);
}

function fail(name, text) {
  console.error(`bundle: ${name} ${text}`);
  process.exit(1);
}

/**
 * A program's ES-module bundle, with what only some runs need in chunks. With `isEntryFirst`,
 * the build fails if any of our code (a chunk) is evaluated before the entry's own first line.
 */
async function bundle(name, options, { isEntryFirst = false, ...checks }) {
  const chunks = `${name}-lazy`;
  rmSync(join(outdir, chunks), { recursive: true, force: true });
  const result = await build({
    ...common,
    entryPoints: { [name]: `src/bin/${name}.ts` },
    chunkNames: `${chunks}/[name]-[hash]`,
    ...options,
  });
  check(name, result, checks);
  const before = chunksBefore(result.metafile, relative(root, join(outdir, `${name}.js`)));
  if (isEntryFirst && before.size > 0) {
    fail(name, `runs ${[...before].join(', ')} before its entry: import() what the entry loads`);
  }
}

/**
 * `src/bin/NAME.ts` as one CommonJS file, `NAME.cjs`: no chunks (CommonJS has none; and V8,
 * given its cache, does not compile what a run does not use). The build fails if it kept an
 * import() (vm.Script, which runs it in code-cache.ts, has no loader for one), or if it is not
 * all ASCII.
 */
async function bundleCommonJs(name, options, checks) {
  const result = await build({
    ...common,
    splitting: false,
    format: 'cjs',
    entryPoints: { [name]: `src/bin/${name}.ts` },
    outExtension: { '.js': '.cjs' },
    ...options,
  });
  check(name, result, checks);
  const dynamic = Object.values(result.metafile.outputs).flatMap(({ imports }) =>
    imports.filter((i) => i.kind === 'dynamic-import').map((i) => i.path),
  );
  if (dynamic.length > 0) fail(name, `keeps import() of ${dynamic.join(', ')}: bundle it`);
  const file = join(outdir, `${name}.cjs`);
  // read as latin1, one byte a character (code-cache.ts): esbuild escapes what is not ASCII in
  // strings; comments, where it is kept as written, are dropped (minifyWhitespace, and
  // legalComments: 'none' for the ones esbuild would keep)
  const at = readFileSync(file).findIndex((byte) => byte > 0x7f);
  if (at !== -1) fail(name, `has a byte that is not ASCII at offset ${at}: see what wrote it`);
  // what tsc wrote for it (ES modules): not a program of the package, and tm.js would be taken
  // for the one it was
  for (const tsc of [`${name}.js`, `${name}.js.map`]) rmSync(join(outdir, tsc), { force: true });
  return file;
}

// CommonJS packages inside an ES module (yaml; msgpackr's plain entry) require Node's modules:
// an ES module has no require
const requireBanner = (id) => ({
  js: `import { createRequire as ${id} } from 'node:module'; const require = ${id}(import.meta.url);`,
});

// tm: the client, and the launcher that runs it with V8's code cache, named after its hash
const client = await bundleCommonJs(
  'tm-client',
  {
    plugins: [msgpackrWithoutNative],
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: 'none',
    // Node prints the whole source line of an uncaught exception: a line, not 60 KB of code
    lineLimit: 160,
  },
  { forbidden: DAEMON_ONLY },
);
const clientHash = createHash('sha256').update(readFileSync(client)).digest('hex').slice(0, 16);
await bundleCommonJs(
  'tm',
  { define: { TM_CLIENT_HASH: JSON.stringify(clientHash) }, sourcemap: false },
  { forbidden: DAEMON_ONLY },
);
// the chunks of tm's ES-module bundle, before it was CommonJS
rmSync(join(outdir, 'tm-lazy'), { recursive: true, force: true });

// The daemon. taskmasterd.ts sets V8 flags, then imports the daemon with import(): with
// splitting, that stays an import() of a chunk, so the flags are in force before any of the
// daemon's code is compiled, which the build checks (isEntryFirst). better-sqlite3 is a native
// addon, found by its own path at run time; nodemailer is loaded at the first mail, by a daemon
// with an `email` section only. Both stay outside, loaded from node_modules as before: bundled,
// nodemailer would be a chunk all the same (its 600 KB of
// sources compiled at each build) for a rare path.
await bundle(
  'taskmasterd',
  {
    banner: requireBanner('taskmasterdCreateRequire'),
    external: ['better-sqlite3', 'nodemailer'],
    plugins: [msgpackrWithoutNative, rxjsAsModules],
  },
  { forbidden: ['msgpackr-extract'], lazy: ['nodemailer'], isEntryFirst: true },
);
