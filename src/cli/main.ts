import { SLIPWAY_VERSION } from '../core/version.js';
import { VERB_NAMES } from './verbs.js';
import { wantsVersion } from './wants-version.js';

// `slipway --version` answers before anything else is parsed; every other command loads the program, which loads
// the code of its verb only (src/cli/verbs.ts).
if (wantsVersion(process.argv.slice(2), VERB_NAMES)) {
  process.stdout.write(`${SLIPWAY_VERSION}\n`);
} else {
  const { runProgram } = await import('./program.js');
  await runProgram(process.argv);
}
