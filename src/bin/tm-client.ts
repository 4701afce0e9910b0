import { runClient } from '../client/cli.js';
import { EXIT } from '../client/exit-codes.js';
import { VERSION } from '../domain/version.js';

// a run that ends without its answer (a promise never settled: a bug) is no success; Node's
// top-level await said so with 13, and this is bundled as CommonJS, which has none (tm.ts)
process.exitCode = EXIT.failed;
void runClient(process.argv.slice(2), VERSION).then((code) => {
  process.exitCode = code;
});
