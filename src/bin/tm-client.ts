import { runClient } from '../client/cli.js';
import { VERSION } from '../domain/version.js';

// no top-level await: this is bundled as CommonJS, which has none (tm.ts says why)
void runClient(process.argv.slice(2), VERSION).then((code) => {
  process.exitCode = code;
});
