import { SLIPWAY_VERSION } from '../core/version.js';
import { VERB_NAMES } from './verbs.js';
import { wantsVersion } from './wants-version.js';

// When the reader of the output goes away (`slipway history | head -1`), the CLI stops quietly, as git does,
// instead of dying on an EPIPE stack trace. A deployment in progress (it listens for SIGHUP) stops as it does when
// its terminal closes: before its next step, resumable; every other verb exits at once, with 0.
let readerGone = false;
function onOutputError(err: NodeJS.ErrnoException): void {
  if (err.code !== 'EPIPE') throw err;
  if (readerGone) return;
  readerGone = true;
  if (process.listenerCount('SIGHUP') > 0) process.emit('SIGHUP', 'SIGHUP');
  else process.exit(0);
}
process.stdout.on('error', onOutputError);
process.stderr.on('error', onOutputError);

// `slipway --version` answers before anything else is parsed; every other command loads the program, which loads
// the code of its verb only (src/cli/verbs.ts). runProgram reports its errors itself. (The built CLI runs this file
// as a CommonJS chunk, src/cli/entry.ts: no top-level await.)
if (wantsVersion(process.argv.slice(2), VERB_NAMES)) {
  process.stdout.write(`${SLIPWAY_VERSION}\n`);
} else {
  void import('./program.js').then(({ runProgram }) => runProgram(process.argv));
}
